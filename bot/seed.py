"""Demo data: the real province of Hưng Yên (which absorbed Thái Bình in 2025) with
its communes and wards from the `vietnam-provinces` package, a Hội branch under a
few of them, and a demo officer. Idempotent: running it again changes nothing.

The phone numbers on the demo units are placeholders, not real offices.
"""

from datetime import datetime

from sqlalchemy import select
from vietnam_provinces import Province, Ward
from werkzeug.security import check_password_hash, generate_password_hash

from storage.models import Officer, Unit

PROVINCE_NAME = "Hưng Yên"
KINDS = {"tỉnh": "province", "thành phố trung ương": "city", "xã": "commune",
         "phường": "ward", "đặc khu": "special_zone"}
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
    province = next(p for p in Province.iter_all() if p.name == PROVINCE_NAME)
    root = _upsert(session, str(int(province.code)), name=f"Tỉnh {province.name}",
                   kind=KINDS[province.division_type.value], parent_id=None,
                   path=f"/{int(province.code)}/", active=True, joinable=False,
                   help_name=f"Hội Khuyến học tỉnh {province.name}", help_phone="0221 3000 100")
    wards = sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))
    for ward in wards:
        code = str(int(ward.code))
        phone = DEMO_BRANCHES.get(ward.name)
        commune = _upsert(session, code, name=ward.name, kind=KINDS[ward.division_type.value],
                          parent_id=root.id, path=f"{root.path}{code}/", active=True,
                          joinable=True, admin_code=f"{int(ward.code):05d}",
                          help_name=f"Hội Khuyến học {ward.name.lower()[:1]}{ward.name[1:]}" if phone else None,
                          help_phone=phone)
        if phone:
            branch_code = f"{code}-1"
            _upsert(session, branch_code, name=f"Chi hội Khuyến học số 1, {ward.name}",
                    kind="branch", parent_id=commune.id, path=f"{commune.path}{branch_code}/",
                    active=True, joinable=True, help_name=None, help_phone=None)
    officer = session.scalars(select(Officer).where(Officer.username == DEMO_OFFICER)).first()
    if officer is None:
        session.add(Officer(username=DEMO_OFFICER, password_hash=generate_password_hash(password),
                            name="Cán bộ Hội Khuyến học (demo)", unit_id=root.id,
                            role="admin", created_at=now))
    elif not check_password_hash(officer.password_hash, password):
        officer.password_hash = generate_password_hash(password)   # the login printed must work
    return {"province": root.name, "units": len(wards) + 1 + len(DEMO_BRANCHES),
            "officer": DEMO_OFFICER, "password": password}
