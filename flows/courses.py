"""A reply to a course announcement: "1" I will come, "0" not this time, or a yes / no
in words ("có", "ok", "không", "ko"). The host puts the newest announcement that may
still be answered in `State.offer`.

A bare reply answers the announcement only while the announcement is the last thing
said in the conversation: it was sent after the citizen's last message, or the bot's
last reply was about it (the thanks, or how to answer) and asked nothing else
(`Position.course`), so "1" then "0" changes the answer. An answer is recorded
(`RecordSignup`) and thanked for, and a question the citizen had open is asked again.
Anything else is read the normal way, except a "2" when no question is open: how to
answer is explained rather than guessed.
"""

from . import effects as fx
from .readers.understanding import read_yes_no


def read_coming(folded: str, raw: str) -> bool | None:
    """True: "1" or a yes; False: "0" or a no; None: not an answer."""
    if folded in ("1", "0"):
        return folded == "1"
    reading = read_yes_no(folded, raw)
    return reading.value == "yes" if reading.ok else None


def answer_offer(turn, topic: int | None) -> bool:
    """Take the reply as the answer to the announcement if it is one; False: it is not,
    and nothing was done. `topic`: `Position.course` as the turn began."""
    offer, touched = turn.state.offer, turn.pos.touched_at
    if offer is None or not (touched is None or offer.sent_at > touched
                             or offer.course_id == topic):
        return False
    coming = read_coming(turn.folded, turn.raw)
    question_open = bool(turn.pos.flow or turn.pos.pending)
    if coming is None and (question_open or turn.folded != "2"):
        return False
    if coming is None:
        turn.say("course.signup.how", title=offer.title)
    else:
        turn.emit(fx.RecordSignup(offer.course_id, coming, turn.raw.strip()))
        turn.say("course.signup.yes" if coming else "course.signup.no", title=offer.title)
    if question_open:
        ask_again(turn)
    else:
        turn.move(course=offer.course_id)
    return True


def ask_again(turn) -> None:
    """The question the citizen had open, so they know where they are."""
    if turn.pos.pending:
        turn.say(f"pending.{turn.pos.pending}")
    elif turn.expired():
        turn.ask_to_resume()
    else:
        turn.ask(turn.flow().get(turn.pos.step))
