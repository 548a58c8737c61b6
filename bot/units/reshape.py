"""Reshaping the tree: move a subtree under another parent, merge one unit into another
(the 2025 reform merged provinces and removed districts).

A unit's `path` holds the codes from the root down ("/33/12364/12364-1/"), so a move
rewrites the path of the unit and of every unit under it in one UPDATE. A merge moves
the merged unit's citizens, child units, officers, broadcasts and courses to the other
unit and leaves the merged unit in place, inactive, with `merged_into_id` set: nothing
is deleted, so assessments and history stay, and the bot still takes its code (as the
unit it went into, bot/units/directory.py).

Both work in the caller's transaction; `scope` is the acting officer's subtree path
(None: an admin). The caller records the change in the audit log and tells the runtime
the units changed.
"""

from sqlalchemy import func, literal, select, text, update

from storage.models import Broadcast, Citizen, Course, Officer, Unit

from .rules import MAX_PATH, path_of


class ReshapeError(ValueError):
    """The change is refused; the message says why, for the officer."""


class OutOfScope(ReshapeError):
    """A unit outside the officer's subtree: answered as if it did not exist."""


def lock_tree(session) -> None:
    """One reshape at a time (PostgreSQL; SQLite's writer lock already serialises
    writers). Readers and the bot's citizen writes go on."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE"))


def in_scope(scope: str | None, unit: Unit) -> bool:
    return scope is None or unit.path.startswith(scope)


def _fresh(session, scope: str | None, *units: Unit) -> None:
    lock_tree(session)
    for unit in units:
        session.refresh(unit)
        if not in_scope(scope, unit):
            raise OutOfScope(unit.code)
        if not unit.active:
            raise ReshapeError(f"Đơn vị {unit.code} đã sáp nhập vào đơn vị khác, không còn hoạt động.")


def _rewrite(session, old_prefix: str, new_prefix: str, *, keep_id: int | None = None) -> int:
    """Every path under `old_prefix` now starts with `new_prefix`; the number changed."""
    under = Unit.path.startswith(old_prefix, autoescape=True)
    where = [under] if keep_id is None else [under, Unit.id != keep_id]
    longest = session.scalar(select(func.max(func.length(Unit.path))).where(*where)) or 0
    if longest - len(old_prefix) + len(new_prefix) > MAX_PATH:
        raise ReshapeError("Cây đơn vị sẽ lồng quá sâu (đường dẫn quá "
                           f"{MAX_PATH} ký tự); hãy chọn đơn vị cấp trên khác.")
    result = session.execute(
        update(Unit).where(*where)
        .values(path=literal(new_prefix) + func.substr(Unit.path, len(old_prefix) + 1))
        .execution_options(synchronize_session="fetch"))
    return result.rowcount


def move(session, unit: Unit, parent: Unit, scope: str | None) -> int:
    """Put `unit` and its subtree under `parent`; the number of units whose path changed
    (0: it was there already)."""
    _fresh(session, scope, unit, parent)
    if parent.id == unit.id or parent.path.startswith(unit.path):
        raise ReshapeError("Không thể chuyển một đơn vị vào chính nó hoặc vào đơn vị cấp dưới của nó.")
    if unit.parent_id == parent.id:
        return 0
    moved = _rewrite(session, unit.path, path_of(parent.path, unit.code))
    unit.parent_id = parent.id
    session.flush()
    return moved


def merge(session, source: Unit, target: Unit, scope: str | None) -> dict[str, int]:
    """Merge `source` into `target`: what moved, by kind."""
    _fresh(session, scope, source, target)
    if source.id == target.id:
        raise ReshapeError("Không thể sáp nhập một đơn vị vào chính nó.")
    if target.path.startswith(source.path):
        raise ReshapeError("Không thể sáp nhập một đơn vị vào đơn vị cấp dưới của nó.")
    children = session.execute(update(Unit).where(Unit.parent_id == source.id)
                               .values(parent_id=target.id)
                               .execution_options(synchronize_session="fetch")).rowcount
    _rewrite(session, source.path, target.path, keep_id=source.id)
    moved = {"children": children}
    for name, model in (("citizens", Citizen), ("officers", Officer), ("broadcasts", Broadcast),
                        ("courses", Course)):
        moved[name] = session.execute(update(model).where(model.unit_id == source.id)
                                      .values(unit_id=target.id)
                                      .execution_options(synchronize_session="fetch")).rowcount
    session.execute(update(Unit).where(Unit.merged_into_id == source.id)
                    .values(merged_into_id=target.id)
                    .execution_options(synchronize_session="fetch"))
    source.active, source.merged_into_id = False, target.id
    session.flush()
    return moved
