"""Campaigns (a learning week, a month of courses…) apart from HTTP: the form checked,
the campaigns an officer sees, the one the dashboard shows, and the figures of a
campaign's days — registered, completed, passed and recognised between its first and
last day (Vietnam's calendar), each by when it happened — beside the year's."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from messages_vi.render import TIMEZONE
from storage.models import Campaign, Unit

from .figures import Choice, figures_of
from .tally import Figures

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
    """Campaigns of units in the scope, the newest first. (A commune's officer does not
    list the province's learning week here, but their dashboard shows its days.)"""
    query = scope.units(select(Campaign).join(Campaign.unit))
    return session.scalars(query.order_by(Campaign.starts_on.desc(), Campaign.id.desc()).limit(limit)).all()


def current(session, unit: Unit | None, period: int, today: date) -> Campaign | None:
    """The campaign the dashboard shows for `unit`: one of that unit or above it (the
    province's learning week is every commune's too), of the dashboard's year, running
    today or ended within the last 30 days."""
    if unit is None:
        return None
    parts = unit.path.strip("/").split("/")
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    query = (select(Campaign).join(Campaign.unit)
             .where(Unit.path.in_(ancestors), Campaign.starts_on <= today,
                    Campaign.ends_on >= today - timedelta(days=30),
                    Campaign.starts_on >= date(period, 1, 1), Campaign.starts_on <= date(period, 12, 31)))
    return session.scalars(query.order_by(Campaign.ends_on.desc(), Campaign.id.desc())).first()


def bounds(campaign: Campaign) -> tuple[datetime, datetime]:
    """[first day 00:00, the day after the last 00:00), Vietnam time."""
    return (datetime.combine(campaign.starts_on, time(0), TIMEZONE),
            datetime.combine(campaign.ends_on + timedelta(days=1), time(0), TIMEZONE))


def figures(session, scope, campaign: Campaign, runtime, now: datetime) -> Figures:
    """The figures of the campaign's unit's subtree, `.during` what happened in its days:
    the dashboard's own aggregate query with the campaign's days as its window, so the
    year's column (`.totals`) equals the dashboard's figures by construction."""
    return figures_of(session, scope, Choice(campaign.unit, campaign.starts_on.year), runtime, now,
                      window=bounds(campaign))
