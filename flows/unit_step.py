"""The unit question: find the citizen's commune by code or name, or offer a numbered
list of close names to pick from. Never takes a partial match without asking."""

from .directory import MAX_CANDIDATES, Directory, bare_title
from .model import HELP_AFTER_FAILS, Flow, Option, Step
from .understanding import read_choice, read_number


def answer_unit(turn, flow: Flow, step: Step) -> None:
    directory: Directory = turn.script.directory
    entries = [directory.get(code) for code in turn.pos.candidates]
    if None in entries:
        # A unit in the list closed since it was shown: its numbers no longer mean what
        # the citizen saw, so the reply is read as a new search.
        entries = []
        turn.move(candidates=())
    if entries:
        picked = [e.code for e in entries]
        options = [Option(e.name, e.name, e.code, means="yes" if len(entries) == 1 else None)
                   for e in entries]
        reading = read_choice(turn.folded, options, turn.raw)
        if reading.ok:
            turn.accept(flow, step, picked[reading.value - 1])
            return
        if read_number(turn.folded).ok or reading.problem == "out_of_range":
            reask_pick(turn, step, entries)
            return
    found = directory.search(turn.raw)
    if len(found.exact) == 1:
        turn.accept(flow, step, found.exact[0].code)
        return
    matches = found.exact or found.partial
    if len(matches) > MAX_CANDIDATES:
        turn.reask(step, "unit_many")
    elif not matches:
        turn.reask(step, "unit_none")
    else:
        turn.move(candidates=tuple(e.code for e in matches))
        turn.say("registration.unit_pick", options=unit_options(matches))


def unit_options(entries) -> list:
    """Zalo: full names with where they are. SMS: bare names, and the area only
    for namesakes, so five of them fit one segment."""
    bare = [bare_title(e.name) for e in entries]
    return [{"zalo": f"{e.name} ({e.area})" if e.area else e.name,
             "sms": f"{b} ({e.area})" if e.area and bare.count(b) > 1 else b}
            for e, b in zip(entries, bare)]


def reask_pick(turn, step: Step, entries) -> None:
    """A number not in the list: show it again; from the third try, ask the unit
    question afresh with whom to call instead of a list that is not working."""
    if turn.pos.fails + 1 >= HELP_AFTER_FAILS:
        turn.move(candidates=())
        turn.reask(step, "out_of_range")
        return
    turn.move(fails=turn.pos.fails + 1)
    turn.say("registration.unit_pick", options=unit_options(entries),
             hint={"msg": "hint.out_of_range"})
