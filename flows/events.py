"""What the engine does with messages that are not typed replies: following the OA,
a photo or file as proof (minh chứng), a sticker or a location, shared contact data,
and the host's news that this contact was linked to a citizen known by phone.
None of them counts as a failed try at the open question.
"""

import re

from . import effects as fx
from .handlers import continue_where_left
from .phone import to_e164

# "câu 3", "chỉ số 3", "số 3", or a caption that is only the number; not "lớp 5".
_QUESTION = re.compile(r"(?:^|\s)(?:cau|chi so|so)\s*(\d{1,2})(?:\s|$)|^(\d{1,2})$")


def handle_event(turn) -> None:
    {"follow": _follow, "evidence": _evidence, "media": _media, "profile": _profile,
     "linked": _linked}[turn.inbound.kind](turn)


def _linked(turn) -> None:
    """This contact now belongs to a citizen known by the same phone: say so, go on."""
    turn.move(pending=None)
    turn.say("contact.linked")
    continue_where_left(turn)


def _ask_open_question(turn) -> None:
    if turn.pos.flow and not turn.pos.pending:
        turn.ask(turn.flow().get(turn.pos.step))


def _follow(turn) -> None:
    """Greet; start registration, or pick up where the citizen was."""
    turn.move(pending=None)
    profile = turn.state.profile
    if not profile.registered and not turn.pos.flow:
        turn.start_registration(first_contact=profile.consent is None)
    elif turn.pos.flow:
        turn.say("follow.back")
        _ask_open_question(turn)
    else:
        turn.idle()


def _media(turn) -> None:
    turn.say("media.unreadable")
    _ask_open_question(turn)


def _evidence(turn) -> None:
    """Kept for the indicator named in the caption ("câu 3"), else the open question.
    Nothing is kept from someone who has not consented."""
    view = turn.state.assessment
    if not turn.state.profile.consent or not turn.state.profile.registered or view is None:
        turn.say("evidence.not_registered")
        _ask_open_question(turn)
        return
    flow = turn.flow("assessment")
    named = _QUESTION.search(turn.folded)
    number = int(named.group(1) or named.group(2)) if named else None
    if number is not None and 1 <= number <= len(flow.steps):
        indicator = flow.steps[number - 1].id
    elif turn.pos.flow == "assessment" and not turn.pos.pending:
        indicator, number = turn.pos.step, flow.index(turn.pos.step) + 1
    else:
        indicator = None
    turn.emit(fx.AttachEvidence(indicator))
    if indicator:
        turn.say("evidence.received", n=number)
    else:
        turn.say("evidence.kept", total=len(flow.steps))
    _ask_open_question(turn)


def _profile(turn) -> None:
    """The citizen shared their name and phone (Zalo's user_submit_info)."""
    if not turn.state.profile.consent:
        return                       # nothing is kept before consent
    changes = {}
    phone = to_e164(turn.inbound.shared.get("phone", ""))
    if phone and (phone != turn.state.profile.phone or not turn.state.profile.phone_verified):
        changes.update(phone=phone, phone_verified=True)   # Zalo confirmed it
    name = (turn.inbound.shared.get("name") or "").strip()
    if name and not turn.state.profile.name:
        changes["name"] = name[:100]
    if not changes:
        return
    turn.emit(fx.SaveProfile(changes))
    turn.say("profile.saved")
    if turn.pos.flow == "registration" and not turn.pos.pending:
        step = turn.flow().get(turn.pos.step)
        if turn.skipped(step):       # e.g. waiting at the phone question
            turn.goto(turn.next_of(turn.flow(), step, None))
