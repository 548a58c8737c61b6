"""The console's world: a small province of its own beside the seeded Hưng Yên tree,
officers at each level, citizens at every stage, and a logged-in test client."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.console.auth import hash_password, stamp
from bot.console.tally import VIETNAM
from storage.models import Answer, Assessment, Citizen, Contact, Officer, Unit

PASSWORD = "mat-khau-thu-10"
PASSWORD_HASH = hash_password(PASSWORD)   # scrypt takes ~0.1 s: once, not per officer
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
# The year the console calls "this year" when a page is asked for no other: pages read the
# real clock, so a test that relies on that default gives its citizens assessments of
# THIS_YEAR (on 1 January, 2026's assessments become last year's). Tests that name their
# year (?period=2026) keep NOW's.
THIS_YEAR = datetime.now(VIETNAM).year
# code, name, kind, parent code
TREE = (("90", "Tỉnh Thử Nghiệm", "province", None),
        ("9001", "Xã An Bình", "commune", "90"),
        ("9001-1", "Chi hội Khuyến học thôn Đông, Xã An Bình", "branch", "9001"),
        ("9002", "Xã Bình Minh", "commune", "90"),
        ("9100", "Tỉnh Khác", "province", None),
        ("9101", "Xã Ngoài Phạm Vi", "commune", "9100"))


def add_units(session, rows) -> dict[str, Unit]:
    units = {u.code: u for u in session.scalars(select(Unit))}
    for code, name, kind, parent in rows:
        up = units[parent] if parent else None
        unit = Unit(code=code, name=name, kind=kind, parent_id=up.id if up else None,
                    path=f"{up.path if up else '/'}{code}/", active=True, joinable=kind != "province")
        session.add(unit)
        session.flush()
        units[code] = unit
    return units


@pytest.fixture
def tree(runtime):
    with runtime.db.transaction() as session:
        add_units(session, TREE)
    runtime.units_changed()
    return {code: name for code, name, _, _ in TREE}


def make_officer(runtime, username: str, unit_code: str | None = None, admin: bool = False,
                 name: str | None = None) -> None:
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code)) if unit_code else None
        session.add(Officer(username=username, password_hash=PASSWORD_HASH,
                            name=name or f"Cán bộ {username}", unit_id=unit_id,
                            role="admin" if admin else "officer", created_at=NOW))


@pytest.fixture
def officers(runtime, tree):
    """province: officer of 90; commune: of 9001; branch: of 9001-1; other: of 9100; admin."""
    make_officer(runtime, "tinh", "90", name="Cán bộ tỉnh")
    make_officer(runtime, "xa", "9001", name="Cán bộ xã An Bình")
    make_officer(runtime, "chihoi", "9001-1", name="Cán bộ chi hội")
    make_officer(runtime, "khac", "9100", name="Cán bộ tỉnh khác")
    make_officer(runtime, "quantri", admin=True, name="Quản trị")
    return {"province": "tinh", "commune": "xa", "branch": "chihoi", "other": "khac",
            "admin": "quantri"}


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client, path: str = "/admin/login") -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_of(client)
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": token})


@pytest.fixture
def client_as(app, officers):
    """client_as("xa") → a test client logged in as that officer, with .post_form(path, data)
    adding the CSRF token of the page it came from."""
    def make(username: str):
        # the session a login makes (test_auth.py logs in for real; a login per test
        # would cost a scrypt check each)
        client = app.test_client()
        with app.extensions["cdht"].db.read() as session:
            officer = session.scalars(select(Officer).where(Officer.username == username)).one()
        with client.session_transaction() as cookie:
            cookie["officer"], cookie["stamp"] = officer.id, stamp(officer)
        token = csrf_of(client, "/admin/")

        def post_form(path, data=None, **kwargs):
            return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)
        client.post_form = post_form
        client.csrf = token
        return client
    return make


@dataclass(frozen=True)
class Person:
    citizen_id: int
    assessment_id: int | None


def add_citizen(runtime, unit_code: str, name: str, *, points: list[int] | None = None,
                answered: int | None = None, group: str = "nguoi_dan", phone: str | None = None,
                zalo: str | None = None, period: int = 2026, birth_year: int = 1956,
                registered: datetime = NOW - timedelta(days=10)) -> Person:
    """A registered citizen of `unit_code`. `points`: one number per indicator answered
    (0, 4, 7 or 10; the option is read off the criteria); `answered` of them given
    (default: all, which completes the assessment)."""
    criteria = runtime.criteria
    indicators = criteria.group(group).indicators
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        citizen = Citizen(name=name, birth_year=birth_year, unit_id=unit_id, target_group=group,
                          phone=phone, phone_verified=phone is not None, consent=True,
                          opted_out=False, registered_at=registered, created_at=registered)
        session.add(citizen)
        session.flush()
        if zalo:
            session.add(Contact(channel="zalo", address=zalo, citizen_id=citizen.id,
                                last_inbound_at=registered, created_at=registered))
        if phone:
            session.add(Contact(channel="sms", address=phone, citizen_id=citizen.id,
                                last_inbound_at=registered, created_at=registered))
        if points is None:
            return Person(citizen.id, None)
        given = points[:answered] if answered is not None else points
        complete = len(given) == len(indicators)
        by_competence, total = {}, 0
        # finished a day after registering; one who registered within the day, at once
        finished = registered + timedelta(days=1)
        finished = finished if finished <= datetime.now(timezone.utc) else registered
        assessment = Assessment(citizen_id=citizen.id, period=period, criteria_set=criteria.id,
                                criteria_version=criteria.version, target_group=group,
                                status="completed" if complete else "in_progress",
                                started_at=registered, updated_at=finished)
        session.add(assessment)
        session.flush()
        for indicator, value in zip(indicators, given):
            option = next(i for i, o in enumerate(indicator.options, 1) if o.points == value)
            session.add(Answer(assessment_id=assessment.id, indicator=indicator.id, option=option,
                               points=value, raw_text=str(option), answered_at=registered))
            by_competence[indicator.competence] = by_competence.get(indicator.competence, 0) + value
            total += value
        if complete:
            assessment.total = total
            assessment.passed = total >= criteria.pass_rule.min_total and min(given) >= criteria.pass_rule.min_each
            assessment.competence_points = by_competence
            assessment.completed_at = finished
        return Person(citizen.id, assessment.id)


PASS = [10, 10, 10, 10, 7, 7, 10, 10, 10, 10]     # 94, passes
FAIL_LOW = [10, 10, 10, 10, 10, 10, 10, 10, 10, 0]  # 90 but one indicator under 5
FAIL_TOTAL = [7, 7, 7, 7, 7, 7, 7, 7, 10, 10]       # 76
