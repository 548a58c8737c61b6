"""Which job runs when, and running one (with its record in `job_runs`)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storage.db import insert_for
from storage.models import JobRun

from ..console.figures import refresh_snapshots
from ..console.snapshots import REFRESH_EVERY
from ..outreach.broadcasts import plan_due
from ..outreach.courses import plan_course_reminders
from ..outreach.reminders import plan_reminders
from .housekeeping import expire_sessions, sweeper, zalo_token

log = logging.getLogger(__name__)
TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Job:
    run: object          # (runtime, now) -> str
    trigger: object      # an APScheduler trigger
    about: str


def _counted(what: str, fn):
    return lambda runtime, now: f"{fn(runtime, now)} {what}"


JOBS = {
    "broadcasts": Job(_counted("message(s) planned", plan_due), IntervalTrigger(seconds=30),
                      "scheduled broadcasts whose time has come are planned"),
    "reminders": Job(_counted("reminder(s) planned", plan_reminders),
                     CronTrigger(minute=5, timezone=TIMEZONE),
                     "reminders of unfinished assessments (CDHT_REMINDER_DAYS)"),
    "courses": Job(_counted("course reminder(s) planned", plan_course_reminders),
                   CronTrigger(minute=15, timezone=TIMEZONE),
                   "the reminder the day before a course"),
    "sessions": Job(expire_sessions, CronTrigger(hour=3, minute=30, timezone=TIMEZONE),
                    "idle sessions forget their open question"),
    "sweeper": Job(sweeper, IntervalTrigger(minutes=1),
                   "sends whose lease ran out; parked inbound events"),
    "figures": Job(refresh_snapshots, IntervalTrigger(seconds=REFRESH_EVERY.total_seconds()),
                   "the figures of big subtrees (a province's dashboard) are counted again"),
    "zalo-token": Job(zalo_token, IntervalTrigger(minutes=10),
                      "the Zalo access token is refreshed when less than 3 h remain"),
}


def _record(runtime, name: str, **values) -> None:
    with runtime.db.transaction() as session:
        session.execute(insert_for(session)(JobRun).values(name=name, **values)
                        .on_conflict_do_update(index_elements=["name"], set_=values))


def run_job(runtime, name: str, now: datetime | None = None) -> str:
    """Run one job as of `now` (the clock when None); its outcome goes to `job_runs`."""
    started = datetime.now(timezone.utc)
    now = now or started
    _record(runtime, name, started_at=started, finished_at=None)
    try:
        result = JOBS[name].run(runtime, now)
    except Exception as exc:
        log.exception("job %s failed", name)
        _record(runtime, name, started_at=started, finished_at=datetime.now(timezone.utc),
                result=None, error=repr(exc)[:1000])
        raise
    _record(runtime, name, started_at=started, finished_at=datetime.now(timezone.utc),
            result=result, error=None)
    # the frequent ones would fill the log with "nothing to do"
    quiet = isinstance(JOBS[name].trigger, IntervalTrigger)
    log.log(logging.DEBUG if quiet else logging.INFO, "job %s: %s", name, result)
    if "planned" in result and not result.startswith("0 "):
        runtime.outbox_waiting.set()
    return result
