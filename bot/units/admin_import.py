"""A province's whole tree from the official 2025 administrative divisions (the
`vietnam-provinces` package: 34 provinces, 3,321 communes, wards and special zones).

Codes are the official ones without leading zeros: the province "33", its wards "12364",
paths "/33/12364/", and each ward keeps its official code in `admin_code` ("12364", five
digits). Four wards of Hà Nội (4, 8, 25, 91) share their short code with a province
(Cao Bằng 4, Tuyên Quang 8, Phú Thọ 25, An Giang 91): whichever comes second takes its
second choice ("00004" for a ward, "T4" for a province), and is found again on the next
run by its admin code or its code.

`plan` is pure: given what is in the tree, it says what to create and update. Running it
again on its own result plans nothing. A unit is never moved, deactivated or deleted
here (officers may have moved or merged it); only its official name, kind and admin code
are kept true.
"""

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from vietnam_provinces import Province, Ward

from storage.models import Unit, fold_name

from .rules import CLOSED_KINDS, COMMUNE_KINDS, joinable, path_of

DIVISION_KINDS = {"tỉnh": "province", "thành phố trung ương": "city", "xã": "commune",
                  "phường": "ward", "đặc khu": "special_zone"}


@dataclass(frozen=True)
class Division:
    """One official unit the tree should have."""
    codes: tuple[str, ...]       # its code: the first of these not held by another unit
    name: str
    kind: str
    admin_code: str | None = None


@dataclass(frozen=True)
class Known:
    """A unit already in the tree that the plan may match."""
    id: int
    code: str
    name: str
    kind: str
    path: str
    admin_code: str | None = None


@dataclass(frozen=True)
class Create:
    code: str
    name: str
    kind: str
    path: str
    parent_code: str | None
    admin_code: str | None = None


@dataclass(frozen=True)
class Update:
    id: int
    code: str
    changes: dict


@dataclass
class Plan:
    province: str                       # the province unit's code
    province_id: int | None = None      # None: it is created
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)   # what could not be placed, and why

    def counts(self) -> dict:
        return {"created": len(self.creates), "updated": len(self.updates),
                "unchanged": len(self.unchanged), "conflicts": len(self.conflicts)}


def provinces() -> list[Province]:
    return sorted(Province.iter_all(), key=lambda p: int(p.code))


def province_title(province: Province) -> str:
    """"Tỉnh Hưng Yên", "Thành phố Hà Nội"."""
    if DIVISION_KINDS[province.division_type.value] == "city":
        return province.name
    return f"Tỉnh {province.name}"


def find_province(text: str) -> Province | None:
    """By official code ("33", "01") or name, with or without marks ("hung yen",
    "Tỉnh Hưng Yên", "Thành phố Hà Nội")."""
    text = (text or "").strip()
    if text.isdigit():
        return next((p for p in provinces() if int(p.code) == int(text)), None)
    wanted = fold_name(text)
    for prefix in ("tinh ", "thanh pho ", "tp "):
        wanted = wanted.removeprefix(prefix)
    for p in provinces():
        if fold_name(p.name).removeprefix("thanh pho ") == wanted:
            return p
    return None


def divisions(province: Province) -> tuple[Division, list[Division]]:
    """The province and its wards, as the tree should have them."""
    number = int(province.code)
    top = Division((str(number), f"T{number}"), province_title(province),
                   DIVISION_KINDS[province.division_type.value])
    wards = [Division((str(int(w.code)), f"{int(w.code):05d}"), w.name,
                      DIVISION_KINDS[w.division_type.value], f"{int(w.code):05d}")
             for w in sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))]
    return top, wards


def _changes(known: Known, want: Division) -> dict:
    wanted = {"name": want.name, "kind": want.kind}
    if want.admin_code:
        wanted["admin_code"] = want.admin_code
    return {key: value for key, value in wanted.items() if getattr(known, key) != value}


def plan(top: Division, wards: list[Division], known: list[Known]) -> Plan:
    """What to create and update so the tree holds `top` and every ward under it."""
    by_code = {k.code: k for k in known}
    taken = set(by_code)
    match = next((by_code[c] for c in top.codes
                  if c in by_code and by_code[c].kind in CLOSED_KINDS), None)
    if match is None:
        free = next((c for c in top.codes if c not in taken), None)
        if free is None:
            return Plan(top.codes[0], conflicts=[
                f"{top.name}: mã {', '.join(top.codes)} đều đã dùng cho đơn vị khác."])
        result = Plan(free)
        result.creates.append(Create(free, top.name, top.kind, path_of(None, free), None))
        taken.add(free)
        root_path = path_of(None, free)
    else:
        result = Plan(match.code, match.id)
        _keep(result, match, top)
        root_path = match.path
    choices = {w.admin_code: w.codes for w in wards}
    by_admin: dict[str, Known] = {}     # two units of one ward: the one with its code
    for k in known:
        if k.admin_code and (k.admin_code not in by_admin or k.code in choices.get(k.admin_code, ())):
            by_admin[k.admin_code] = k
    for ward in wards:
        found = by_admin.get(ward.admin_code) or next(
            (by_code[c] for c in ward.codes if c in by_code and by_code[c].admin_code is None
             and by_code[c].kind in COMMUNE_KINDS
             and fold_name(by_code[c].name) == fold_name(ward.name)), None)
        if found is not None:
            _keep(result, found, ward)
            continue
        free = next((c for c in ward.codes if c not in taken), None)
        if free is None:
            result.conflicts.append(f"{ward.name} ({ward.admin_code}): mã "
                                    f"{', '.join(ward.codes)} đều đã dùng cho đơn vị khác.")
            continue
        taken.add(free)
        result.creates.append(Create(free, ward.name, ward.kind, path_of(root_path, free),
                                     result.province, ward.admin_code))
    return result


def _keep(result: Plan, known: Known, want: Division) -> None:
    changes = _changes(known, want)
    if changes:
        result.updates.append(Update(known.id, known.code, changes))
    else:
        result.unchanged.append(known.code)


def known_units(session, top: Division, wards: list[Division]) -> list[Known]:
    codes = [c for d in (top, *wards) for c in d.codes]
    admin_codes = [w.admin_code for w in wards]
    rows = session.scalars(select(Unit).where(or_(Unit.code.in_(codes),
                                                  Unit.admin_code.in_(admin_codes)))).all()
    return [Known(u.id, u.code, u.name, u.kind, u.path, u.admin_code) for u in rows]


def apply(session, result: Plan) -> dict[str, Unit]:
    """Write the plan in the caller's transaction; the units created, by code."""
    made: dict[str, Unit] = {}
    parent_id = result.province_id
    for create in result.creates:
        unit = Unit(code=create.code, name=create.name, kind=create.kind, path=create.path,
                    parent_id=parent_id if create.parent_code else None, active=True,
                    joinable=joinable(create.kind), admin_code=create.admin_code)
        session.add(unit)
        session.flush()
        made[create.code] = unit
        if create.parent_code is None:
            parent_id = unit.id
    for update in result.updates:
        unit = session.get(Unit, update.id)
        for key, value in update.changes.items():
            setattr(unit, key, value)
    session.flush()
    return made


def import_province(session, province: Province) -> Plan:
    """Create or complete `province`'s tree in the caller's transaction. The caller
    records it in the audit log and tells the runtime the units changed."""
    top, wards = divisions(province)
    result = plan(top, wards, known_units(session, top, wards))
    apply(session, result)
    return result
