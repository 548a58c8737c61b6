"""The engine's unit directory, read from the unit tree, with the names its communes
had before the 2025 merger (bot/units/old_communes.py). A unit merged into another
(bot/units/reshape.py) is no longer in it, but its code still is, as the unit it went
into: a citizen who types the code from an old poster registers there."""

from sqlalchemy import select

from flows.units.codes import CodeIndex
from flows.units.directory import Directory, UnitEntry
from storage.models import Unit

from .old_communes import old_units


def load_directory(session, default_help) -> Directory:
    units = session.scalars(select(Unit).where(Unit.active).order_by(Unit.path)).all()
    by_id = {u.id: u for u in units}
    entries = []
    for u in units:
        parent = by_id.get(u.parent_id)
        entries.append(UnitEntry(
            code=u.code, name=u.name, area=parent.name if parent else "",
            parent=parent.code if parent else None, help_name=u.help_name,
            help_phone=u.help_phone, joinable=u.joinable))
    if default_help is None:  # else the top of the tree answers: usually the province's Hội
        roots = [u for u in units if u.parent_id is None and u.help_phone]
        if roots:
            default_help = (roots[0].help_name or roots[0].name, roots[0].help_phone)
    communes = {u.admin_code: (u.code, u.name) for u in units if u.admin_code and u.joinable}
    merged = _merged(session, by_id)
    for unit, into in merged:
        if unit.admin_code and into.joinable:   # its old names lead where it went
            communes.setdefault(unit.admin_code, (into.code, unit.name))
    directory = Directory(entries, default_help=default_help, old_units=old_units(communes))
    _take_codes_of_merged(directory, merged)
    return directory


def _merged(session, active: dict[int, Unit]) -> list[tuple[Unit, Unit]]:
    """(merged unit, the active unit it went into), following merges of merges."""
    gone = session.scalars(select(Unit).where(Unit.merged_into_id.is_not(None),
                                              Unit.active.is_(False))).all()
    into = {u.id: u.merged_into_id for u in gone}
    pairs = []
    for unit in gone:
        target, hops = unit.merged_into_id, 0
        while target in into and hops < 16:
            target, hops = into[target], hops + 1
        if target in active:
            pairs.append((unit, active[target]))
    return pairs


def _take_codes_of_merged(directory: Directory, merged: list[tuple[Unit, Unit]]) -> None:
    """A merged unit's code names the unit it went into (a code still held by an active
    unit keeps naming that unit)."""
    added = []
    for unit, into in merged:
        entry = directory.get(into.code)
        if entry is not None and unit.code.lower() not in directory.by_code:
            directory.by_code[unit.code.lower()] = entry
            added.append(unit.code)
    if added:
        codes = [code for same in directory.codes.by_key.values() for code in same]
        directory.codes = CodeIndex([*codes, *added])
