"""The reply to the open question: read by the reader for its answer type, taken,
confirmed first when the reader is not sure, or asked again with a hint.

Like the handlers, these work on the engine's `Turn` through its verbs.
"""

from .readers.framing import core
from .model import Flow, Step
from .readers.reading import Reading
from .readers.scanning import echo_words
from .readers.understanding import (read_choice, read_integer, read_name, read_phone, read_year,
                            read_yes_no)
from .units.question import answer_unit

SKIP_WORDS = frozenset({"bo qua", "bo", "khong co", "ko co", "k co", "khong", "ko", "k",
                        "chua co", "khong dung zalo", "skip"})


def answer_step(turn) -> None:
    flow = turn.flow()
    step = flow.get(turn.pos.step)
    if step.optional and core(turn.folded) in SKIP_WORDS:
        turn.advance(flow, step, None)
        return
    if step.type == "unit":
        answer_unit(turn, flow, step)
        return
    if step.type == "choice" and turn.pos.candidates and settle_proposal(turn, flow, step):
        return
    reading = read(turn, step)
    if not reading.ok:
        turn.reask(step, reading.problem)
        return
    if not reading.sure:
        propose(turn, step, reading.value)
        return
    turn.carried = dict(reading.also or {})
    turn.accept(flow, step, reading.value)


def propose(turn, step: Step, value: int) -> None:
    """One plausible reading among words the reader does not know: ask, do not take."""
    option = turn.options(step)[value - 1]
    turn.move(candidates=(str(value),))
    turn.say("confirm.choice", n=value, option={"zalo": option.label, "sms": option.sms})


def settle_proposal(turn, flow: Flow, step: Step) -> bool:
    """The reply to "Bác chọn 3. Hiếm khi — đúng không?": a yes takes it, another
    answer is read as usual, a no asks the question again (a bare "không" could be
    the option "Không" as well as "not that one")."""
    proposed = int(turn.pos.candidates[0])
    turn.move(candidates=())
    said = read_yes_no(turn.folded, turn.raw)
    if said.ok and said.value == "yes":
        turn.accept(flow, step, proposed)
        return True
    if said.ok and said.value == "no":
        turn.reask(step, "choose_again")
        return True
    return False


def read(turn, step: Step) -> Reading:
    f, raw = turn.folded, turn.raw
    match step.type:
        case "yes_no":
            return read_yes_no(f, raw)
        case "choice":
            # the question's own words said back are no answer: "không đọc", "nghe đài"
            return read_choice(f, turn.options(step), raw, echo_words(step.question))
        case "integer":
            return read_integer(f, step.low, step.high, raw)
        case "year":
            return read_year(f, step.low, turn.local_year() - (step.high or 0), raw)
        case "name":
            return read_name(raw)
        case "phone":
            return read_phone(raw)
    raise ValueError(f"no reader for answer type {step.type!r}")



def take_carried(turn, flow: Flow, step: Step) -> bool:
    """A birth year or phone given with the name answers its own question when the
    flow gets there, if it is valid there; otherwise the question is asked."""
    value = turn.carried.pop(step.type, None)
    if value is None or step.store is None:
        return False
    reading = read_value(turn, step, value)
    if not reading.ok:
        return False
    turn.move(step=step.id, fails=0, candidates=())
    turn.accept(flow, step, reading.value)
    return True


def read_value(turn, step: Step, value) -> Reading:
    if step.type == "year":
        return read_year(str(value), step.low, turn.local_year() - (step.high or 0))
    if step.type == "phone":
        return read_phone(str(value))
    return Reading(problem="unknown")
