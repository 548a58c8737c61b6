"""Units added or changed by a file (code, name, kind, parent code): every row checked
and given its fate — new, update, unchanged or error, with what is wrong said per row —
before anything is written; then applied all together, or not at all.

`plan` is a plain function of the rows, the tree as it is and the officer's subtree
path (None: an admin). A parent may be an existing unit of the subtree or another row
of the file, in any order. An existing code is an update when its unit is in the
subtree; moving it under another parent follows the move rules (bot/units/reshape.py).
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from flows.units.codes import code_key
from storage.models import Unit

from .reshape import lock_tree, move
from .rules import KINDS, MAX_NAME, MAX_PATH, code_problem, joinable, kind_of, path_of
from .upload_files import Row

KIND_LIST = ", ".join(KINDS.values())


@dataclass(frozen=True)
class Existing:
    id: int
    code: str
    name: str
    kind: str
    parent: str | None       # the parent's code
    path: str
    active: bool


@dataclass
class Fate:
    row: Row
    fate: str = "new"                     # "new" | "update" | "unchanged" | "error"
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)   # an update's, said for the officer
    kind: str | None = None
    parent: str | None = None             # the parent's code as stored (None: a top unit)
    path: str | None = None
    unit: Existing | None = None          # the unit it updates

    @property
    def key(self) -> str:
        return code_key(self.row.code)


@dataclass
class Preview:
    fates: list[Fate]
    applied: bool = False     # written to the tree (bot/units/upload.py: apply)

    @property
    def ok(self) -> bool:
        return not any(f.fate == "error" for f in self.fates)

    def counts(self) -> dict[str, int]:
        counts = {"new": 0, "update": 0, "unchanged": 0, "error": 0}
        for f in self.fates:
            counts[f.fate] += 1
        return counts

    def summary(self) -> list:
        """What the officer saw, to compare with at the confirm step."""
        return [[f.row.number, f.fate, f.changes] for f in self.fates]


def existing_units(session) -> list[Existing]:
    rows = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                  Unit.path, Unit.active)).all()
    codes = {r.id: r.code for r in rows}
    return [Existing(r.id, r.code, r.name, r.kind, codes.get(r.parent_id), r.path, r.active)
            for r in rows]


def plan(rows: list[Row], existing: list[Existing], scope: str | None) -> Preview:
    exact = {u.code: u for u in existing}
    by_key: dict[str, list[Existing]] = {}
    for u in existing:
        by_key.setdefault(code_key(u.code), []).append(u)
    fates = [Fate(row) for row in rows]
    in_file: dict[str, list[Fate]] = {}
    for f in fates:
        if f.row.code:
            in_file.setdefault(f.key, []).append(f)
    for f in fates:
        _check_fields(f, in_file)
        if f.row.code and not f.errors:
            _check_code(f, exact, by_key, scope)
    for f in fates:
        if f.fate != "unchanged":
            _check_parent(f, in_file, exact, by_key, scope)
    _check_cycles(fates, existing)
    _place(fates, exact)
    for f in fates:
        if f.errors:
            f.fate, f.changes = "error", []
        elif f.unit is not None and f.fate != "unchanged":
            f.changes = _changes(f)
            f.fate = "update" if f.changes else "unchanged"
    return Preview(fates)


def _check_fields(f: Fate, in_file) -> None:
    row = f.row
    if not row.code:
        f.errors.append("Thiếu mã.")
    elif problem := code_problem(row.code):
        f.errors.append(problem)
    elif len(same := in_file[f.key]) > 1:
        f.errors.append(f"Mã {row.code} có ở nhiều dòng: "
                        f"{', '.join(str(o.row.number) for o in same)}.")
    if not row.name:
        f.errors.append("Thiếu tên.")
    elif len(row.name) > MAX_NAME:
        f.errors.append(f"Tên dài {len(row.name)} ký tự, tối đa {MAX_NAME}.")
    f.kind = kind_of(row.kind)
    if not row.kind:
        f.errors.append(f"Thiếu loại (một trong: {KIND_LIST}).")
    elif f.kind is None:
        f.errors.append(f"Loại \"{row.kind}\" không có; hãy ghi một trong: {KIND_LIST}.")


def _check_code(f: Fate, exact, by_key, scope) -> None:
    unit = exact.get(f.row.code)
    if unit is None:
        near = by_key.get(f.key)
        if near:
            shown = near[0].code if _covers(scope, near[0]) else None
            f.errors.append(f"Mã {f.row.code} trùng với mã " + (
                f"{shown} đã có" if shown else "của một đơn vị ngoài phạm vi của bạn") +
                " (chỉ khác chữ hoa, chữ thường hoặc dấu ngăn cách).")
        return
    if not _covers(scope, unit):
        f.errors.append(f"Mã {unit.code} đã được dùng cho một đơn vị ngoài phạm vi của bạn.")
    elif not unit.active:
        f.errors.append(f"Đơn vị {unit.code} đã sáp nhập vào đơn vị khác; không sửa được nữa.")
    else:
        f.unit = unit
        same_parent = code_key(f.row.parent) == code_key(unit.parent or "")
        if same_parent and f.row.name == unit.name and f.kind == unit.kind:
            f.fate, f.parent, f.path = "unchanged", unit.parent, unit.path


def _check_parent(f: Fate, in_file, exact, by_key, scope) -> None:
    text = f.row.parent
    if not text:
        if scope is not None:
            f.errors.append("Thiếu mã cấp trên.")
        elif f.unit is not None and f.unit.parent is not None:
            f.errors.append("Thiếu mã cấp trên (đơn vị này đang có cấp trên).")
        return
    if f.row.code and code_key(text) == f.key:
        f.errors.append("Đơn vị không thể là cấp trên của chính nó.")
        return
    rows = in_file.get(code_key(text))
    if rows:
        f.parent = rows[0].row.code
        return
    unit = exact.get(text) or next(iter(by_key.get(code_key(text), [])), None)
    if unit is None:
        f.errors.append(f"Không có đơn vị cấp trên mã {text} (trong hệ thống hay trong tệp).")
    elif f.unit is not None and unit.code == f.unit.parent:
        f.parent = unit.code            # staying where it is: even above the officer's unit
    elif not _covers(scope, unit):
        f.errors.append(f"Đơn vị cấp trên {text} nằm ngoài phạm vi của bạn.")
    elif not unit.active:
        f.errors.append(f"Đơn vị cấp trên {text} đã sáp nhập vào đơn vị khác.")
    else:
        f.parent = unit.code


def _check_cycles(fates: list[Fate], existing: list[Existing]) -> None:
    up = {code_key(u.code): code_key(u.parent) if u.parent else None for u in existing}
    for f in fates:
        if f.row.code and not f.errors and f.fate != "unchanged":
            up[f.key] = code_key(f.parent) if f.parent else None
    names = {code_key(u.code): u.code for u in existing}
    names.update({f.key: f.row.code for f in fates if f.row.code})
    for f in fates:
        if f.errors or f.fate == "unchanged" or not f.parent:
            continue
        chain, at = [f.key], up.get(f.key)
        while at is not None and at not in chain:
            chain.append(at)
            at = up.get(at)
        if at == f.key:
            f.errors.append("Vòng lặp cấp trên: " +
                            " → ".join(names[c] for c in [*chain, f.key]) + ".")


def _place(fates: list[Fate], exact: dict[str, Existing]) -> None:
    """The path each good row will have, parents first; too deep is an error."""
    rows = {f.key: f for f in fates if f.row.code and not f.errors}
    for f in rows.values():
        chain, seen, at = [], set(), f
        while at is not None and at.path is None and id(at) not in seen:
            seen.add(id(at))
            chain.append(at)
            at = rows.get(code_key(at.parent)) if at.parent else None
        if not chain:
            continue
        if at is not None:                      # hangs under a placed row, or a loop
            above = at.path
        elif chain[-1].parent:                  # under a unit of the tree (None: a bad row)
            above = exact[chain[-1].parent].path if chain[-1].parent in exact else None
        else:
            above = "/"
        for link in reversed(chain):
            if above is None:
                break
            link.path = above = path_of(above, link.row.code)
    for f in rows.values():
        if f.path and len(f.path) > MAX_PATH:
            f.errors.append(f"Đơn vị lồng quá sâu (đường dẫn quá {MAX_PATH} ký tự).")


def _changes(f: Fate) -> list[str]:
    unit, said = f.unit, []
    if f.row.name != unit.name:
        said.append(f"tên: {unit.name} → {f.row.name}")
    if f.kind != unit.kind:
        said.append(f"loại: {KINDS.get(unit.kind, unit.kind)} → {KINDS[f.kind]}")
    if (f.parent or None) != unit.parent:
        said.append(f"cấp trên: {unit.parent or '(không có)'} → {f.parent or '(không có)'}")
    return said


def _covers(scope: str | None, unit: Existing) -> bool:
    return scope is None or unit.path.startswith(scope)


def apply(session, rows: list[Row], scope: str | None, seen: list | None = None) -> Preview:
    """Plan again on the tree as it is now and write it, in the caller's transaction.
    Nothing is written when a row is wrong or the fates differ from `seen` (what the
    officer confirmed): the preview is returned for them to look at again."""
    lock_tree(session)
    preview = plan(rows, existing_units(session), scope)
    if not preview.ok or (seen is not None and preview.summary() != seen):
        return preview
    units: dict[str, Unit] = {}
    for f in sorted(preview.fates, key=lambda f: f.path.count("/")):
        if f.fate == "unchanged":
            continue
        parent = None
        if f.parent:
            parent = units.get(f.parent) or session.scalars(
                select(Unit).where(Unit.code == f.parent)).one()
        if f.fate == "new":
            unit = Unit(code=f.row.code, name=f.row.name, kind=f.kind, path=path_of(
                parent.path if parent else None, f.row.code), parent_id=parent.id if parent else None,
                active=True, joinable=joinable(f.kind))
            session.add(unit)
        else:
            unit = session.get(Unit, f.unit.id)
            if parent is not None and unit.parent_id != parent.id:
                move(session, unit, parent, scope)
            if unit.kind != f.kind:
                unit.kind, unit.joinable = f.kind, joinable(f.kind)
            unit.name = f.row.name
        session.flush()
        units[f.row.code] = unit
    preview.applied = True
    return preview
