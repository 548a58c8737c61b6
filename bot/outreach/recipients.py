"""Who an announcement goes to: registered citizens of a unit's subtree who have not
opted out, optionally of one target group, one assessment status (of this year's
assessment, in Vietnam's calendar, as storage/standing.py defines each), one channel
(those who have a Zalo or an SMS contact), and for a course's announcement those weak on
one of its indicators (weak.py)."""

from datetime import datetime

from sqlalchemy import and_, exists, not_, select

from messages_vi.render import TIMEZONE
from storage.models import Assessment, Citizen, Contact, Unit
from storage.standing import COMPLETED, RECOGNISED

from .weak import weak_on

# value → the console's label; "unfinished" (no completed assessment: not started or in
# progress) is the reminders' and the command line's original meaning
STATUSES = {
    "all": "Mọi người",
    "not_started": "Chưa bắt đầu tự đánh giá",
    "in_progress": "Đang làm dở",
    "unfinished": "Chưa hoàn thành (chưa bắt đầu hoặc đang làm dở)",
    "completed": "Đã hoàn thành",
    "passed": "Đạt",
    "recognised": "Đã được công nhận",
}
CHANNELS = {"zalo": "Có Zalo", "sms": "Có SMS"}


def current_period(now: datetime) -> int:
    return now.astimezone(TIMEZONE).year


def _this_year(now: datetime, *conditions):
    return exists().where(Assessment.citizen_id == Citizen.id,
                          Assessment.period == current_period(now), *conditions)


def status_condition(status: str, now: datetime):
    """The WHERE of one status, on citizens; None for "all"."""
    conditions = {
        "not_started": lambda: not_(_this_year(now)),
        "in_progress": lambda: _this_year(now, Assessment.status != "completed"),
        "unfinished": lambda: not_(_this_year(now, COMPLETED)),
        "completed": lambda: _this_year(now, COMPLETED),
        "passed": lambda: _this_year(now, COMPLETED, Assessment.passed.is_(True)),
        "recognised": lambda: _this_year(now, RECOGNISED),
    }
    return None if status == "all" else conditions[status]()


def targeted(unit: Unit, group: str | None, status: str, now: datetime,
             channel: str | None = None, weak: tuple[str, ...] = ()):
    """A SELECT of the targeted citizens' ids."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if channel and channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    query = (select(Citizen.id).join(Unit, Unit.id == Citizen.unit_id)
             .where(Unit.path.startswith(unit.path, autoescape=True),
                    Citizen.registered_at.is_not(None),
                    not_(Citizen.opted_out), Citizen.consent.is_not(False)))
    if group:
        query = query.where(Citizen.target_group == group)
    if (condition := status_condition(status, now)) is not None:
        query = query.where(condition)
    if channel:
        query = query.where(exists().where(Contact.citizen_id == Citizen.id,
                                           Contact.channel == channel,
                                           Contact.status == "active"))
    if weak:
        query = query.where(and_(weak_on(weak)))
    return query
