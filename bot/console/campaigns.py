"""Campaigns (a learning week, a month of courses…) apart from HTTP: the form checked,
the campaigns an officer sees, and the figures of a campaign's period — registered,
completed, passed and recognised between its first and last day (Vietnam's calendar) —
for the officer's subtree, beside the same figures for the whole year."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select

from messages_vi.render import TIMEZONE
from storage.models import Assessment, Campaign, Citizen, Unit
from storage.standing import RECOGNISED

from .figures import subtree

MAX_NAME = 200
LONGEST = timedelta(days=366)


class BadCampaign(ValueError):
    """What is wrong with the form, in Vietnamese."""


def _day(raw: str, what: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise BadCampaign(f"{what} không hợp lệ (ngày/tháng/năm).") from None


@dataclass(frozen=True)
class CampaignForm:
    name: str
    unit: Unit
    starts_on: date
    ends_on: date


def read_campaign(form, session, scope) -> CampaignForm:
    name = " ".join((form.get("name") or "").split())
    if not name or len(name) > MAX_NAME:
        raise BadCampaign(f"Hãy đặt tên chiến dịch (tối đa {MAX_NAME} ký tự).")
    code = (form.get("unit") or "").strip()
    unit = session.scalars(select(Unit).where(Unit.code == code)).first() if code else None
    if unit is None or not scope.covers(unit):
        raise BadCampaign("Hãy chọn một đơn vị trong phạm vi của anh/chị.")
    starts, ends = _day(form.get("starts_on"), "Ngày bắt đầu"), _day(form.get("ends_on"), "Ngày kết thúc")
    if ends < starts:
        raise BadCampaign("Ngày kết thúc phải từ ngày bắt đầu trở đi.")
    if ends - starts > LONGEST:
        raise BadCampaign("Một chiến dịch kéo dài tối đa một năm.")
    return CampaignForm(name, unit, starts, ends)


def visible(session, scope, limit: int = 100) -> list[Campaign]:
    """Campaigns of units in the scope, the newest first (an officer of a commune also sees
    the province's learning week? no: only campaigns of their own subtree)."""
    query = scope.units(select(Campaign).join(Campaign.unit))
    return session.scalars(query.order_by(Campaign.starts_on.desc(), Campaign.id.desc()).limit(limit)).all()


def current(session, scope, today: date) -> Campaign | None:
    """The campaign the dashboard shows: one running today, else the latest that ended
    within the last 30 days."""
    query = scope.units(select(Campaign).join(Campaign.unit)).where(
        Campaign.starts_on <= today, Campaign.ends_on >= today - timedelta(days=30))
    return session.scalars(query.order_by(Campaign.ends_on.desc(), Campaign.id.desc())).first()


def bounds(campaign: Campaign) -> tuple[datetime, datetime]:
    """[first day 00:00, the day after the last 00:00), Vietnam time."""
    return (datetime.combine(campaign.starts_on, time(0), TIMEZONE),
            datetime.combine(campaign.ends_on + timedelta(days=1), time(0), TIMEZONE))


@dataclass(frozen=True)
class PeriodFigures:
    registered: int
    completed: int
    passed: int
    recognised: int


def _figures(session, scope, unit, since: datetime | None, until: datetime | None,
             period: int) -> PeriodFigures:
    """Counted by when each thing happened: registered_at, completed_at, decided_at (a
    citizen registered last year who finished this week counts as completed, not registered)."""
    def inside(column):
        return column.is_not(None) if since is None else and_(column >= since, column < until)

    def scoped(query):
        return session.execute(subtree(scope.citizens(query), unit, scope)).one()

    registered, = scoped(select(func.count()).select_from(Citizen).where(inside(Citizen.registered_at)))
    of_year = (select().select_from(Citizen).join(Assessment, Assessment.citizen_id == Citizen.id)
               .where(Assessment.period == period))
    completed, passed = scoped(of_year.add_columns(
        func.count(Assessment.id), func.count(Assessment.id).filter(Assessment.passed.is_(True)))
        .where(Assessment.status == "completed", inside(Assessment.completed_at)))
    recognised, = scoped(of_year.add_columns(func.count(Assessment.id))
                         .where(RECOGNISED, inside(Assessment.decided_at)))
    return PeriodFigures(registered, completed, passed, recognised)


def figures(session, scope, campaign: Campaign) -> tuple[PeriodFigures, PeriodFigures]:
    """(during the campaign, the whole year) for the campaign's unit's subtree."""
    since, until = bounds(campaign)
    period = campaign.starts_on.year
    return (_figures(session, scope, campaign.unit, since, until, period),
            _figures(session, scope, campaign.unit, None, None, period))
