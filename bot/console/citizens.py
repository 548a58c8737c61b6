"""The citizen list: its filters read from the query string, the one query behind the
page (always narrowed to the officer's scope), and phone numbers masked.

Filters combine (AND). A status filter is about the assessment of the chosen period
(status.py defines each one); "passed: no" means everyone who has not passed, started
or not. The list holds registered citizens only, ordered by name (accent-free) then id,
50 a page. No Flask here: the page (pages/citizens.py) reads the request and renders.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Mapping

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from bot.outreach.recipients import current_period
from storage.models import Answer, Assessment, Citizen, Contact, Unit, fold_name

from storage.standing import AWAITING, COMPLETED, RECOGNISED, RETURNED, STATUSES, status_of

PAGE_SIZE = 50
MAX_QUERY = 100
MAX_PAGE = 100_000
CHANNELS = {"zalo": "Zalo", "sms": "SMS"}
PASSED = and_(COMPLETED, Assessment.passed.is_(True))
STATUS_WHERE = {   # on the assessment of the period, joined ("not started": none exists)
    "in_progress": Assessment.status != "completed",
    "completed": COMPLETED,
    "passed": PASSED,
    "not_passed": and_(COMPLETED, Assessment.passed.is_not(True)),
    "awaiting": AWAITING,
    "recognised": RECOGNISED,
    "returned": RETURNED,
}
BADGES = {"recognised": "ok", "awaiting": "warn", "returned": "bad", "not_passed": "bad"}


class BadFilter(ValueError):
    """A filter value the list cannot use; the message says which, in Vietnamese."""


@dataclass(frozen=True)
class Filters:
    period: int
    q: str = ""
    unit: str = ""
    group: str = ""
    status: str = ""
    passed: str = ""      # "yes" | "no" | "": either
    channel: str = ""     # "zalo" | "sms" | "": any
    page: int = 1

    def args(self, **changes) -> dict:
        """The query string of this list (only what is set), e.g. for the pager's links."""
        values = replace(self, **changes).__dict__
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


def _integer(text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadFilter(f"{what} phải là một số.") from None
    if not low <= value <= high:
        raise BadFilter(f"{what} phải từ {low} đến {high}.")
    return value


def _choice(value: str, allowed, what: str) -> str:
    if value and value not in allowed:
        raise BadFilter(f"{what} không hợp lệ: {value[:40]}.")
    return value


def read_filters(args: Mapping[str, str], groups: Mapping[str, str], now: datetime) -> Filters:
    """The filters of a request's query string; BadFilter says what is wrong."""
    def arg(name: str) -> str:
        return (args.get(name) or "").strip()
    q = arg("q")
    if len(q) > MAX_QUERY:
        raise BadFilter(f"Tên tìm kiếm dài quá (tối đa {MAX_QUERY} ký tự).")
    period = _integer(arg("period"), "Năm", 2000, 2100) if arg("period") else current_period(now)
    page = _integer(arg("page"), "Trang", 1, MAX_PAGE) if arg("page") else 1
    unit = arg("unit")
    if len(unit) > 32:
        raise BadFilter("Mã đơn vị dài quá.")
    return Filters(period=period, q=q, unit=unit, page=page,
                   group=_choice(arg("group"), groups, "Đối tượng"),
                   status=_choice(arg("status"), STATUSES, "Trạng thái"),
                   passed=_choice(arg("passed"), ("yes", "no"), "Lọc theo kết quả"),
                   channel=_choice(arg("channel"), CHANNELS, "Kênh"))


def mask_phone(phone: str | None) -> str:
    """"+84912345678" → "+84 91•••••78": enough to tell two people apart, not to call."""
    if not phone:
        return ""
    digits = phone[3:] if phone.startswith("+84") else phone.lstrip("+")
    prefix = "+84 " if phone.startswith("+84") else ("+" if phone.startswith("+") else "")
    if len(digits) <= 4:
        return prefix + "•" * len(digits)
    return prefix + digits[:2] + "•" * (len(digits) - 4) + digits[-2:]


def show_phone(phone: str | None, full: bool) -> str:
    """In full ("+84 912345678") for the citizen's own unit's officers, else masked."""
    if not phone:
        return ""
    if not full:
        return mask_phone(phone)
    return "+84 " + phone[3:] if phone.startswith("+84") else phone


def group_names(criteria_sets, current) -> dict[str, str]:
    """Target group id → name, the current criteria set's groups first."""
    names = {g.id: g.name for g in current.groups}
    for criteria in criteria_sets.values():
        for group in criteria.groups:
            names.setdefault(group.id, group.name)
    return names


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    birth_year: int | None
    unit: str                 # "Xã An Bình (9001)", or "" without a unit
    group: str
    channels: str             # "Zalo, SMS"
    status: str               # a STATUSES key
    status_label: str
    badge: str
    points: str               # "94" completed; "35 (4/10 câu)" in progress; "" none
    phone: str                # masked unless the officer's own unit's citizen


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int
    filters: Filters


def _of_period(period: int, *where):
    """EXISTS an assessment of the citizen for the period (matching `where`)."""
    return exists().where(Assessment.citizen_id == Citizen.id, Assessment.period == period, *where)


def _matching(scope, filters: Filters, unit: Unit | None):
    """SELECT the ids of the citizens the filters let through. A status that needs an
    assessment joins it; "not started" and "not passed" are NOT EXISTS, which the
    PostgreSQL planner estimates well (a LEFT JOIN … IS NULL it does not)."""
    query = scope.citizens(select(Citizen.id).where(Citizen.registered_at.is_not(None)))
    if unit is not None:
        query = query.where(Citizen.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))))
    if filters.q:
        folded = fold_name(filters.q)
        if folded:
            query = query.where(Citizen.name_folded.contains(folded, autoescape=True))
    if filters.group:
        query = query.where(Citizen.target_group == filters.group)
    joined = filters.passed == "yes" or filters.status not in ("", "not_started")
    if joined:
        query = query.join(Assessment, and_(Assessment.citizen_id == Citizen.id,
                                            Assessment.period == filters.period))
    if filters.status == "not_started":
        query = query.where(~_of_period(filters.period))
    elif filters.status:
        query = query.where(STATUS_WHERE[filters.status])
    if filters.passed == "yes":
        query = query.where(PASSED)
    elif filters.passed == "no":
        query = query.where(~_of_period(filters.period, PASSED))
    if filters.channel:
        query = query.where(exists().where(Contact.citizen_id == Citizen.id,
                                           Contact.channel == filters.channel))
    return query


def search(session, scope, filters: Filters, unit: Unit | None, groups: Mapping[str, str]) -> Page:
    """One page of the list, and how many citizens match in all. The page's ids come
    first (filters, order, offset on citizens alone); what it shows of them after."""
    matching = _matching(scope, filters, unit)
    total = session.scalar(select(func.count()).select_from(matching.subquery()))
    ids = list(session.scalars(matching.order_by(Citizen.name_folded, Citizen.id)
                               .limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)))
    place = aliased(Unit)
    shown = {c.id: (c, a, u) for c, a, u in session.execute(
        select(Citizen, Assessment, place).where(Citizen.id.in_(ids))
        .outerjoin(Assessment, and_(Assessment.citizen_id == Citizen.id,
                                    Assessment.period == filters.period))
        .outerjoin(place, place.id == Citizen.unit_id))} if ids else {}
    found = [shown[i] for i in ids]
    channels: dict[int, set] = {}
    for citizen_id, channel in session.execute(select(Contact.citizen_id, Contact.channel)
                                               .where(Contact.citizen_id.in_(ids)).distinct()):
        channels.setdefault(citizen_id, set()).add(channel)
    open_ids = [a.id for _, a, _ in found if a is not None and a.status != "completed"]
    progress = {aid: (n, points) for aid, n, points in session.execute(
        select(Answer.assessment_id, func.count(), func.sum(Answer.points))
        .where(Answer.assessment_id.in_(open_ids)).group_by(Answer.assessment_id))} if open_ids else {}
    rows = [_row(c, a, u, channels.get(c.id, set()), progress, groups, scope) for c, a, u in found]
    return Page(rows, total, filters.page, max(1, -(-total // PAGE_SIZE)), filters)


def _points(assessment: Assessment | None, progress: dict) -> str:
    if assessment is None:
        return ""
    if assessment.status == "completed":
        return str(assessment.total if assessment.total is not None else "")
    answered, points = progress.get(assessment.id, (0, 0))
    return f"{points or 0} ({answered} câu)"


def _row(citizen: Citizen, assessment, unit, channels, progress, groups, scope) -> Row:
    status = status_of(assessment)
    phone = citizen.phone
    return Row(id=citizen.id, name=citizen.name or "(chưa có tên)", birth_year=citizen.birth_year,
               unit=f"{unit.name} ({unit.code})" if unit else "",
               group=groups.get(citizen.target_group or "", citizen.target_group or ""),
               channels=", ".join(CHANNELS[c] for c in CHANNELS if c in channels),
               status=status, status_label=STATUSES[status], badge=BADGES.get(status, ""),
               points=_points(assessment, progress),
               phone=show_phone(phone, scope.sees_phone_of(citizen)))


def unit_choices(session, scope, limit: int = 500) -> list[tuple[str, str]]:
    """(code, name) of the units an officer may filter by, in tree order."""
    query = scope.units(select(Unit.code, Unit.name).where(Unit.active)).order_by(Unit.path).limit(limit)
    return [(code, name) for code, name in session.execute(query)]
