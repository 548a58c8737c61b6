"""APScheduler in exactly one process across every machine.

`flask --app wsgi scheduler` (or the embedded worker on SQLite) waits to become *the*
scheduler, then runs the jobs of schedule.py on their triggers, in Vietnam's timezone,
missed runs coalesced into one. Being the one is a lock the operating system or the
database drops when the holder dies:
- PostgreSQL: a session advisory lock on a connection of its own, checked every few
  seconds (if the connection is lost, so is the lock: the jobs stop and it waits again);
- SQLite: an flock on `<database>-scheduler.lock`.
Jobs only scan the database, so a takeover loses nothing.
"""

import fcntl
import logging
import os
import threading
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.engine import make_url

from .schedule import JOBS, TIMEZONE, run_job

log = logging.getLogger(__name__)
logging.getLogger("apscheduler").setLevel(logging.WARNING)   # "Running job…" every 30 s
ADVISORY_KEY = 0x43444854   # "CDHT"
CHECK_SECONDS = 5


class _FileLock:
    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def held(self) -> bool:
        return True

    def release(self) -> None:
        os.close(self.fd)


class _AdvisoryLock:
    def __init__(self, engine):
        self.engine, self.conn = engine, None

    def acquire(self) -> bool:
        try:
            if self.conn is None:
                self.conn = self.engine.connect()
            got = self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            self.conn.commit()
            return bool(got)
        except Exception as exc:   # the database is away: wait and try again
            log.warning("scheduler lock: %s", type(exc).__name__)
            self._drop()
            return False

    def held(self) -> bool:
        try:
            self.conn.execute(text("SELECT 1"))
            self.conn.commit()
            return True
        except Exception:
            self._drop()
            return False

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.invalidate()
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def release(self) -> None:
        self._drop()   # closing the session releases the lock


def _lock(runtime):
    if runtime.db.is_sqlite:
        database = make_url(runtime.settings.database_url).database
        return _FileLock(f"{database}-scheduler.lock")
    return _AdvisoryLock(runtime.db.engine)


def make_scheduler(runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=TIMEZONE, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    start = datetime.now(timezone.utc)
    for name, job in JOBS.items():
        # interval jobs run at once too: a scheduler that takes over catches up at once
        first = {"next_run_time": start} if isinstance(job.trigger, IntervalTrigger) else {}
        scheduler.add_job(run_job, job.trigger, args=(runtime, name), id=name, name=name, **first)
    return scheduler


def run_scheduler(runtime, stopped: threading.Event, say=log.info) -> None:
    """Until `stopped`: wait to be the one scheduler, run the jobs while the lock holds."""
    lock = _lock(runtime)
    waited = False
    try:
        while not stopped.is_set():
            if not lock.acquire():
                if not waited:
                    say("another scheduler is running; waiting to take over")
                    waited = True
                stopped.wait(CHECK_SECONDS)
                continue
            scheduler = make_scheduler(runtime)
            scheduler.start()
            say(f"scheduler {os.getpid()}: {len(JOBS)} jobs ({', '.join(JOBS)})")
            while not stopped.wait(CHECK_SECONDS):
                if not lock.held():
                    log.error("the scheduler lost its lock (database connection); jobs stop")
                    break
            scheduler.shutdown(wait=True)
            waited = False
    finally:
        lock.release()
