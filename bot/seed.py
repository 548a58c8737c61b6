"""Demo data: the real province of Hưng Yên (which absorbed Thái Bình in 2025) with
its communes and wards from the `vietnam-provinces` package, a Hội branch under a
few of them, and a demo officer. Idempotent: running it again changes nothing.

The phone numbers on the demo units are placeholders, not real offices.
"""

from datetime import datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from storage.models import Officer, Unit

from .units.admin_import import find_province, import_province
from .units.rules import path_of

PROVINCE_NAME = "Hưng Yên"
# Communes and wards that get a Hội branch and a help phone in the demo.
DEMO_BRANCHES = {
    "Xã Tiên Lữ": "0221 3000 101",
    "Phường Thái Bình": "0227 3000 102",
    "Phường Phố Hiến": "0221 3000 103",
    "Xã Vũ Thư": "0227 3000 104",
}
DEMO_OFFICER = "demo"


def _upsert(session, code: str, **values) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        unit = Unit(code=code, **values)
        session.add(unit)
    else:
        for key, value in values.items():
            setattr(unit, key, value)
    session.flush()
    return unit


def seed_demo(session, password: str, now: datetime) -> dict:
    """The province's tree as `flask units import-admin` makes it (bot/units/admin_import.py),
    with the demo's help phones, branches and officer on top."""
    plan = import_province(session, find_province(PROVINCE_NAME))
    root = session.scalars(select(Unit).where(Unit.code == plan.province)).one()
    root.help_name, root.help_phone = "Hội Khuyến học tỉnh Hưng Yên", "0221 3000 100"
    wards = session.scalars(select(Unit).where(Unit.parent_id == root.id,
                                               Unit.name.in_(DEMO_BRANCHES))).all()
    for commune in sorted(wards, key=lambda u: u.path):
        commune.help_phone = DEMO_BRANCHES[commune.name]
        commune.help_name = f"Hội Khuyến học {commune.name.lower()[:1]}{commune.name[1:]}"
        branch_code = f"{commune.code}-1"
        _upsert(session, branch_code, name=f"Chi hội Khuyến học số 1, {commune.name}",
                kind="branch", parent_id=commune.id, path=path_of(commune.path, branch_code),
                active=True, joinable=True, help_name=None, help_phone=None)
    officer = session.scalars(select(Officer).where(Officer.username == DEMO_OFFICER)).first()
    if officer is None:
        session.add(Officer(username=DEMO_OFFICER, password_hash=generate_password_hash(password),
                            name="Cán bộ Hội Khuyến học (demo)", unit_id=root.id,
                            role="admin", created_at=now))
    elif not check_password_hash(officer.password_hash, password):
        officer.password_hash = generate_password_hash(password)   # the login printed must work
    units = len(plan.creates) + len(plan.updates) + len(plan.unchanged) + len(DEMO_BRANCHES)
    return {"province": root.name, "units": units, "officer": DEMO_OFFICER, "password": password}
