"""The engine's unit directory, read from the unit tree, with the names its communes
had before the 2025 merger (bot/units/old_communes.py)."""

from sqlalchemy import select

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
    return Directory(entries, default_help=default_help, old_units=old_units(communes))
