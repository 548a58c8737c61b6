"""A province's tree from the official 2025 divisions: `flask units import-admin`, the
pure plan behind it (what to create and update, given the tree), and the demo seed, which
is built by the same code and must keep its codes and paths."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from vietnam_provinces import Ward

from bot.inbound import receive
from bot.seed import DEMO_BRANCHES, seed_demo
from bot.units.admin_import import (Create, Known, divisions, find_province, plan,
                                    province_title)
from bot.units.reshape import merge
from storage.models import AuditEntry, Citizen, Contact, Unit
from tests.helpers import new_phone
from webhooks.contract import InboundMessage

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
HUNG_YEN, LAI_CHAU = find_province("33"), find_province("12")


def invoke(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def tree_of(runtime, prefix: str) -> dict[str, tuple]:
    """code → (name, kind, path, parent code, admin code, active, joinable) under `prefix`."""
    with runtime.db.read() as session:
        units = session.scalars(select(Unit).where(Unit.path.startswith(prefix))).all()
        return {u.code: (u.name, u.kind, u.path, u.parent.code if u.parent else None,
                         u.admin_code, u.active, u.joinable) for u in units}


def official(province) -> dict[str, tuple]:
    """What the tree must hold for `province`, read straight from the package."""
    top = str(int(province.code))
    kinds = {"xã": "commune", "phường": "ward", "đặc khu": "special_zone"}
    wards = {str(int(w.code)): (w.name, kinds[w.division_type.value], f"/{top}/{int(w.code)}/", top,
                                f"{int(w.code):05d}", True, True)
             for w in Ward.iter_by_province(province.code)}
    return {top: (province_title(province), "province", f"/{top}/", None, None, True, False), **wards}


# -- the plan, without a database ---------------------------------------------------------

def known_from(result) -> list[Known]:
    """The units a plan would have created, as the next plan sees them."""
    return [Known(i, c.code, c.name, c.kind, c.path, c.admin_code)
            for i, c in enumerate(result.creates, 1)]


def test_a_fresh_province_is_created_whole_and_a_second_plan_changes_nothing():
    top, wards = divisions(LAI_CHAU)
    first = plan(top, wards, [])
    assert first.counts() == {"created": 39, "updated": 0, "unchanged": 0, "conflicts": 0}
    assert first.creates[0] == Create("12", "Tỉnh Lai Châu", "province", "/12/", None)
    assert {c.code for c in first.creates[1:]} == {str(int(w.code)) for w in
                                                   Ward.iter_by_province(LAI_CHAU.code)}
    again = plan(top, wards, known_from(first))
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 39, "conflicts": 0}


def test_an_official_name_is_put_back_and_a_missing_ward_added():
    top, wards = divisions(LAI_CHAU)
    known = known_from(plan(top, wards, []))
    renamed = known[5]
    known[5] = Known(renamed.id, renamed.code, "Xã Đổi Tên", renamed.kind, renamed.path,
                     renamed.admin_code)
    missing = known.pop(7)
    result = plan(top, wards, known)
    assert result.counts() == {"created": 1, "updated": 1, "unchanged": 37, "conflicts": 0}
    assert result.updates[0].changes == {"name": renamed.name}
    assert result.creates[0].code == missing.code and result.creates[0].path == missing.path


def test_a_ward_made_by_hand_with_its_code_and_name_is_adopted():
    top, wards = divisions(LAI_CHAU)
    ward = wards[0]
    by_hand = Known(99, ward.codes[0], ward.name, ward.kind, f"/12/{ward.codes[0]}/", None)
    result = plan(top, wards, [by_hand])
    assert [u.changes for u in result.updates] == [{"admin_code": ward.admin_code}]
    assert ward.codes[0] not in {c.code for c in result.creates}


@pytest.mark.parametrize("first, second", [("1", "4"), ("4", "1")], ids=["ha-noi-first", "cao-bang-first"])
def test_wards_of_ha_noi_and_provinces_that_share_a_short_code_both_get_one(first, second):
    """Phường Ba Đình (00004) and Cao Bằng (04) are both "4" without their zeros."""
    known: list[Known] = []
    for code in (first, second):
        result = plan(*divisions(find_province(code)), known)
        assert result.conflicts == []
        known += [Known(len(known) + i, c.code, c.name, c.kind, c.path, c.admin_code)
                  for i, c in enumerate(result.creates, 1)]
    codes = {k.name: k.code for k in known}
    if first == "1":
        assert codes["Phường Ba Đình"] == "4" and codes["Tỉnh Cao Bằng"] == "T4"
    else:
        assert codes["Tỉnh Cao Bằng"] == "4" and codes["Phường Ba Đình"] == "00004"
    assert len({k.code for k in known}) == len(known)
    for code in (first, second):     # and each is found again: nothing more to do
        assert plan(*divisions(find_province(code)), known).counts()["created"] == 0


def test_a_ward_whose_codes_are_both_taken_is_reported_not_placed():
    top, wards = divisions(HUNG_YEN)
    branch = Known(1, "12364", "Chi hội lạ", "branch", "/99/12364/", None)
    result = plan(top, wards, [branch])
    assert result.conflicts == ["Xã Tiên Lữ (12364): mã 12364, 12364 đều đã dùng cho đơn vị khác."]
    assert "12364" not in {c.code for c in result.creates}


@pytest.mark.parametrize("typed, code", [("33", "33"), ("01", "1"), ("hung yen", "33"),
                                         ("Tỉnh Hưng Yên", "33"), ("Thành phố Hà Nội", "1"),
                                         ("ha noi", "1"), ("TP Hồ Chí Minh", "79"), ("99", None),
                                         ("Thái Bình", None)],
                         ids=lambda v: str(v))
def test_a_province_is_found_by_code_or_name(typed, code):
    found = find_province(typed)
    assert (str(int(found.code)) if found else None) == code


# -- the command ------------------------------------------------------------------------

def test_import_of_the_seeded_province_finds_every_ward_already_there(app, runtime):
    result = invoke(app, "units", "import-admin", "--province", "33")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Hưng Yên: 0 created, 0 updated, 105 unchanged"
    tree = tree_of(runtime, "/33/")
    for code, expected in official(HUNG_YEN).items():
        assert tree[code][:5] == expected[:5], code


def test_import_of_a_new_province_creates_it_whole_then_nothing_more(app, runtime):
    runtime.script()    # the directory is cached: the import must renew it
    result = invoke(app, "units", "import-admin", "--province", "lai chau")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Lai Châu: 39 created, 0 updated, 0 unchanged"
    assert tree_of(runtime, "/12/") == official(LAI_CHAU)
    again = invoke(app, "units", "import-admin", "--province", "12")
    assert again.output.strip() == "Lai Châu: 0 created, 0 updated, 39 unchanged"
    assert tree_of(runtime, "/12/") == official(LAI_CHAU)
    with runtime.db.read() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.actor, e.action, e.target, e.detail["created"], e.detail["unchanged"])
                for e in entries] == [("cli", "unit.import_admin", "unit 12", 39, 0),
                                      ("cli", "unit.import_admin", "unit 12", 0, 39)]
    ward = next(iter(sorted(Ward.iter_by_province(LAI_CHAU.code), key=lambda w: int(w.code))))
    sender = new_phone()
    for text in (f"DK {int(ward.code)}", "co", "Nguyen Van An 1960"):
        receive(runtime, InboundMessage("console", uuid.uuid4().hex, "sms", sender, text), NOW)
    with runtime.db.read() as session:
        contact = session.scalars(select(Contact).where(Contact.address == f"+84{sender[1:]}")).one()
        assert session.get(Citizen, contact.citizen_id).unit.code == str(int(ward.code))


def test_an_unknown_province_is_refused(app, runtime):
    result = invoke(app, "units", "import-admin", "--province", "Thái Bình")
    assert result.exit_code != 0
    assert "no province 'Thái Bình' in the 2025 divisions" in result.output


# -- the seed ---------------------------------------------------------------------------

def test_the_seed_is_the_imported_province_with_the_demo_branches_and_changes_nothing_again(runtime):
    expected = official(HUNG_YEN)
    tree = tree_of(runtime, "/33/")
    assert {c: t for c, t in tree.items() if not c.endswith("-1")} == expected
    branches = {c: t for c, t in tree.items() if c.endswith("-1")}
    names = {t[0]: c for c, t in expected.items()}
    assert branches == {f"{names[n]}-1": (f"Chi hội Khuyến học số 1, {n}", "branch",
                                          f"/33/{names[n]}/{names[n]}-1/", names[n], None, True, True)
                        for n in DEMO_BRANCHES}
    with runtime.db.read() as session:
        phones = {u.name: u.help_phone for u in session.scalars(
            select(Unit).where(Unit.help_phone.is_not(None)))}
    assert phones == {"Tỉnh Hưng Yên": "0221 3000 100", **DEMO_BRANCHES}
    with runtime.db.transaction() as session:
        summary = seed_demo(session, "test-password", NOW)
    assert summary["units"] == 109 and tree_of(runtime, "/33/") == tree


# -- a merged ward ------------------------------------------------------------------------

def test_a_merged_wards_code_and_old_names_lead_to_the_ward_it_went_into(app, runtime):
    """Xã Bình Lư (3390) merged into Xã Sin Suối Hồ (3394): "DK 3390" and the name of
    Thị trấn Tam Đường, which went into Bình Lư in 2025, now lead to Sin Suối Hồ."""
    assert invoke(app, "units", "import-admin", "--province", "12").exit_code == 0
    directory = runtime.script().directory
    assert [m.entry.code for m in directory.find("Thị trấn Tam Đường").matches] == ["3390"]
    with runtime.db.transaction() as session:
        gone, into = (session.scalars(select(Unit).where(Unit.code == c)).one() for c in ("3390", "3394"))
        merge(session, gone, into, None)
    runtime.units_changed()
    directory = runtime.script().directory
    assert [m.entry.code for m in directory.find("Thị trấn Tam Đường").matches] == ["3394"]
    assert directory.get("3390").code == "3394"
    sender = new_phone()
    for text in ("DK 3390", "co", "Nguyen Van An 1960"):
        receive(runtime, InboundMessage("console", uuid.uuid4().hex, "sms", sender, text), NOW)
    with runtime.db.read() as session:
        contact = session.scalars(select(Contact).where(Contact.address == f"+84{sender[1:]}")).one()
        assert session.get(Citizen, contact.citizen_id).unit.code == "3394"
