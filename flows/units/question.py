"""The unit question: find the citizen's commune by code, by name inside an address, or by
the name it had before the 2025 merger; or offer a numbered list to pick from. Never takes
a partial match, a split commune or one of several namesakes without asking."""

from .directory import MAX_CANDIDATES, Directory, Found, Match, bare_title
from ..model import HELP_AFTER_FAILS, Flow, Option, Step
from ..readers.normalize import tokens
from ..readers.understanding import read_choice, read_number


def answer_unit(turn, flow: Flow, step: Step) -> None:
    directory: Directory = turn.script.directory
    shown = on_screen(directory, turn.pos)
    if turn.pos.candidates and shown is None:
        # The list changed since it was shown (a unit closed): its numbers no longer
        # mean what the citizen saw, so the reply is read as a new search.
        turn.move(candidates=())
    if said_no(turn.raw):
        turn.reask(step, "unknown")       # "không phải Tiên Lữ": which one, then?
        return
    if shown and not directory.codes.find(turn.raw):      # a code typed is a new search
        reading = read_choice(turn.folded, pick_options(shown.matches), turn.raw)
        if reading.ok and reading.sure:
            take(turn, flow, step, shown.matches[reading.value - 1])
            return
        if read_number(turn.folded, turn.raw).ok or reading.problem in ("out_of_range",
                                                                          "ambiguous"):
            reask_pick(turn, step, shown, reading.problem or "out_of_range")
            return
    found = directory.find(turn.raw)
    matches = found.matches
    if found.closed:
        turn.reask(step, "unit_closed")
    elif found.district_needed:
        turn.reask(step, "unit_district")
    elif len(matches) == 1 and not found.partial:
        take(turn, flow, step, matches[0])
    elif len(matches) > MAX_CANDIDATES:
        turn.reask(step, "unit_many")
    elif not matches:
        turn.reask(step, "unit_none")
    else:
        turn.move(candidates=tuple(m.entry.code for m in matches), query=turn.raw)
        say_list(turn, found)


def say_list(turn, found: Found, hint: dict | None = None) -> None:
    """A numbered list, or for a single place a yes/no: "Bác ở Xã Tiên Lữ phải không?"."""
    options = unit_options(found.matches)
    if len(options) == 1:
        turn.say("registration.unit_confirm", unit=options[0], hint=hint or "")
    elif hint:       # SMS: the list is in the message before; say only what went wrong
        turn.say("registration.unit_pick_again", lead=lead(found), options=options, hint=hint,
                 count=len(options))
    else:
        turn.say("registration.unit_pick", lead=lead(found), options=options)


_NEGATORS_MARKED = frozenset({"không", "chưa", "chẳng", "đừng", "chả", "hông"})
_NEGATORS_PLAIN = frozenset({"khong", "ko", "k", "kg", "chua"})   # not "hong": Hồng Châu


def said_no(raw: str) -> bool:
    """"không phải Tiên Lữ", "chưa biết": a negation at the unit question names no place."""
    first = tokens(raw)[:1]
    return bool(first) and (first[0].marked in _NEGATORS_MARKED
                            or (first[0].plain and first[0].folded in _NEGATORS_PLAIN))


def on_screen(directory: Directory, pos) -> Found | None:
    """The list the citizen is looking at, found again from the reply that made it; None
    when there is none or it is not the same list any more."""
    if not pos.candidates or not pos.query:
        return None
    found = directory.find(pos.query)
    return found if tuple(m.entry.code for m in found.matches) == pos.candidates else None


def take(turn, flow: Flow, step: Step, match: Match) -> None:
    """Register the citizen there; an old name is followed by its new one ("Xã Hòa Bình
    cũ nay là Xã Vũ Thư"), unless the old commune was split (then it is only a part)."""
    if match.old and len(match.old.now) == 1:
        turn.say("registration.unit_renamed", old=match.old.name, new=match.entry.name,
                 district=_lower_first(match.old.district))
    turn.accept(flow, step, match.entry.code)


def lead(found: Found) -> dict:
    """What the list is: close names, codes that look alike, a split or namesakes."""
    olds = [m.old for m in found.matches]
    if all(m.code for m in found.matches):
        return {"msg": "unit.lead_code"}
    if all(olds) and len({bare_title(o.name) for o in olds}) == 1:
        split = len(set(olds)) == 1
        old = olds[0].name if split else bare_title(olds[0].name)
        key = "unit.lead_split" if split else "unit.lead_namesakes"
        return {"msg": key, "params": {"old": {"zalo": old, "sms": old}}}
    return {"msg": "unit.lead_close"}


def unit_options(matches) -> list:
    """Zalo: full names with where they are, or what they were. SMS: bare names, with
    the area only for namesakes and the old district for old names, to fit one segment."""
    bare = [bare_title(m.entry.name) for m in matches]
    districts = {m.old.district for m in matches if m.old}
    out = []
    for m, b in zip(matches, bare):
        if m.code:
            zalo, sms = f"{m.entry.name} (mã {m.entry.code})", f"{b} ({m.entry.code})"
        elif m.old:
            zalo = f"{m.entry.name} (trước là {m.old.name}, {_lower_first(m.old.district)})"
            sms = f"{b} ({_short_district(m.old.district)})" if len(districts) > 1 else b
        else:
            zalo = f"{m.entry.name} ({m.entry.area})" if m.entry.area else m.entry.name
            sms = f"{b} ({m.entry.area})" if m.entry.area and bare.count(b) > 1 else b
        out.append({"zalo": zalo, "sms": sms})
    return out


def pick_options(matches) -> list[Option]:
    """The list as options to read the pick with: by number, by the new name, by the old
    district ("Vũ Thư"), by the code; a single offer is taken with a yes."""
    shown = unit_options(matches)
    options = []
    for m, label in zip(matches, shown):
        aliases = [bare_title(m.entry.name), m.entry.code]
        if m.old:
            aliases.append(bare_title(m.old.district))
        options.append(Option(label["zalo"], label["sms"], m.entry.code, aliases=tuple(aliases),
                              means="yes" if len(matches) == 1 else None))
    return options


def reask_pick(turn, step: Step, shown: Found, problem: str = "out_of_range") -> None:
    """A number not in the list: show it again; from the third try, ask the unit
    question afresh with whom to call instead of a list that is not working."""
    if turn.pos.fails + 1 >= HELP_AFTER_FAILS:
        turn.move(candidates=())
        turn.reask(step, problem)
        return
    turn.move(fails=turn.pos.fails + 1)
    say_list(turn, shown, {"msg": f"hint.{problem}"})


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _short_district(name: str) -> str:
    """"Huyện Kiến Xương" → "h.Kien Xuong" (made GSM-7 when rendered)."""
    kinds = {"huyện": "h.", "quận": "q.", "thị xã": "tx.", "thành phố": "tp."}
    lowered = name.lower()
    for kind, short in kinds.items():
        if lowered.startswith(kind + " "):
            return short + name[len(kind) + 1:]
    return name
