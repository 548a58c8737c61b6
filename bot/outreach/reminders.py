"""Reminders of unfinished assessments: after 1, 3 and 7 days of silence by default
(CDHT_REMINDER_DAYS), then none. A reminder says how far the citizen is ("còn 4 câu")
and how to go on (TIẾP resumes at the question they stopped at).

The silence is counted from the assessment's last answer; a reply starts a new
silence, and its own ladder. Each step is keyed "reminder:<assessment>:<last answer
time>:<step>", so the hourly job may run any number of times, and a run after an
outage sends only the latest step due, never a pile of them. A silence that ended more
than LAST_STEP_GRACE after the last step is left alone (a first run on old data does
not wake everybody up).
"""

from datetime import datetime, timedelta

from sqlalchemy import func, not_, select

from storage.models import Answer, Assessment, Citizen

from . import REMINDER_PRIORITY
from .personal import insert_new, personal_row
from .recipients import current_period

LAST_STEP_GRACE = timedelta(days=2)
CHUNK = 1000


def step_due(ladder: tuple[int, ...], silence: timedelta) -> int:
    """How many rungs of the ladder this silence has reached (0: none yet)."""
    return sum(1 for days in ladder if silence >= timedelta(days=days))


def plan_reminders(runtime, now: datetime) -> int:
    ladder = runtime.settings.reminder_ladder
    if not ladder:
        return 0
    newest = now - timedelta(days=ladder[0])
    oldest = now - timedelta(days=ladder[-1]) - LAST_STEP_GRACE
    planned, after = 0, 0
    while True:
        with runtime.db.transaction() as session:
            found = session.execute(
                select(Assessment, Citizen).join(Citizen, Citizen.id == Assessment.citizen_id)
                .where(Assessment.id > after, Assessment.status == "in_progress",
                       Assessment.period == current_period(now),
                       Assessment.updated_at <= newest, Assessment.updated_at > oldest,
                       Citizen.registered_at.is_not(None), not_(Citizen.opted_out),
                       Citizen.consent.is_not(False))
                .order_by(Assessment.id).limit(CHUNK)).all()
            if not found:
                return planned
            after = found[-1][0].id
            answered = dict(session.execute(
                select(Answer.assessment_id, func.count()).where(
                    Answer.assessment_id.in_([a.id for a, _ in found]))
                .group_by(Answer.assessment_id)).all())
            rows = []
            for assessment, citizen in found:
                row = _reminder(runtime, assessment, citizen, answered.get(assessment.id, 0),
                                ladder, now)
                if row:
                    rows.append(row)
            planned += insert_new(session, rows)


def _reminder(runtime, assessment: Assessment, citizen: Citizen, answered: int,
              ladder: tuple[int, ...], now: datetime) -> dict | None:
    step = step_due(ladder, now - assessment.updated_at)
    criteria = runtime.criteria_sets.get((assessment.criteria_set, assessment.criteria_version))
    if not step or criteria is None:
        return None
    remaining = len(criteria.group(assessment.target_group).indicators) - answered
    if remaining <= 0:
        return None
    since = int(assessment.updated_at.timestamp())
    return personal_row(runtime, citizen, "reminder.unfinished", {"remaining": remaining},
                        "reminder", REMINDER_PRIORITY,
                        f"reminder:{assessment.id}:{since}:{step}", now,
                        template={"name": citizen.name or "", "remaining": str(remaining)})
