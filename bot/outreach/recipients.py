"""Who an announcement goes to: registered citizens of a unit's subtree who have not
opted out, optionally of one target group and one assessment status (this year's
assessment, in Vietnam's calendar)."""

from datetime import datetime

from sqlalchemy import and_, exists, not_, select

from messages_vi.render import TIMEZONE
from storage.models import Assessment, Citizen, Unit

STATUSES = ("unfinished", "completed", "all")


def current_period(now: datetime) -> int:
    return now.astimezone(TIMEZONE).year


def targeted(unit: Unit, group: str | None, status: str, now: datetime):
    """A SELECT of the targeted citizens' ids."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    done = exists().where(Assessment.citizen_id == Citizen.id,
                          Assessment.period == current_period(now),
                          Assessment.status == "completed")
    query = (select(Citizen.id).join(Unit, Unit.id == Citizen.unit_id)
             .where(Unit.path.startswith(unit.path), Citizen.registered_at.is_not(None),
                    not_(Citizen.opted_out), Citizen.consent.is_not(False)))
    if group:
        query = query.where(Citizen.target_group == group)
    if status == "completed":
        query = query.where(done)
    elif status == "unfinished":
        query = query.where(and_(not_(done)))
    return query
