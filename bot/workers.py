"""The worker: the inbound processor, the outbox dispatcher (bot/delivery/) and a thread that wakes the processor when another process stores an event
(PostgreSQL: LISTEN; SQLite: the doorbell socket, bot/doorbell.py).

`run_worker` is the body of a worker process: `flask --app wsgi worker`, or the child
the web process starts with CDHT_EMBEDDED_WORKERS=1 (bot/embedded.py). Several may run
on PostgreSQL. On SQLite exactly one is active: the others wait on a lock file beside
the database and take over when it goes. Nothing here starts at import.
"""

import fcntl
import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy.engine import make_url

from .inbound.accept import NOTIFY_CHANNEL
from .inbound.queue import process_pending
from .delivery.dispatch import dispatch_pass
from .delivery.recovery import sweep

SWEEP_SECONDS = 10          # how often the dispatcher settles sends whose lease ran out
LISTEN_RECONNECT_SECONDS = 5

log = logging.getLogger(__name__)


class Workers:
    """The worker's threads, in this process."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        loops = [("cdht-inbound", self._process), ("cdht-dispatcher", self._dispatch)]
        if self.runtime.db.is_sqlite:
            sock = self.runtime.doorbell.bind()
            loops.append(("cdht-doorbell", lambda: self.runtime.doorbell.answer(sock, self.stopping)))
        else:
            loops.append(("cdht-listener", self._listen))
        for name, target in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def _process(self) -> None:
        waiting, poll = self.runtime.doorbell.event, self.runtime.settings.inbound_poll
        while not self.stopping.is_set():
            waiting.clear()   # before looking: a ring from now on means look again
            retry_at = None
            try:
                while not self.stopping.is_set():
                    done = process_pending(self.runtime)
                    retry_at = min(filter(None, (retry_at, done.retry_at)), default=None)
                    if not done.handled:
                        break
            except Exception:
                log.exception("the inbound processor cannot reach the database")
                self.stopping.wait(1)   # do not spin while the database is away
            seconds = poll
            if retry_at is not None:
                until = (retry_at - datetime.now(timezone.utc)).total_seconds()
                seconds = max(0.05, min(poll, until))
            waiting.wait(seconds)

    def _dispatch(self) -> None:
        interval = self.runtime.settings.dispatch_interval
        next_sweep = 0.0
        if self.runtime.db.is_sqlite:   # the one active worker: every "sending" row is an orphan
            self._sweep(everything=True)
        while not self.stopping.is_set():
            self.runtime.outbox_waiting.clear()
            pause = interval
            try:
                if time.monotonic() >= next_sweep:
                    self._sweep()
                    next_sweep = time.monotonic() + SWEEP_SECONDS
                while not self.stopping.is_set():
                    passed = dispatch_pass(self.runtime)
                    if passed.wait is not None:   # a bucket is dry: back when it refills
                        pause = min(pause, max(passed.wait, 0.01))
                    if not passed.tried:
                        break
            except Exception:
                log.exception("dispatcher pass failed; trying again in %ss", interval)
            self.runtime.outbox_waiting.wait(pause)

    def _sweep(self, everything: bool = False) -> None:
        swept = sweep(self.runtime, datetime.now(timezone.utc), everything)
        if swept.found or swept.resent or swept.unsettled:
            log.warning("sends in doubt settled: %s", swept)

    def _listen(self) -> None:
        """LISTEN for events stored by other processes; reconnect when the link drops."""
        import psycopg
        url = self.runtime.db.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while not self.stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.runtime.doorbell.event.set()   # whatever came while we were away
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.runtime.doorbell.event.set()
            except psycopg.Error as exc:
                log.warning("LISTEN %s lost (%s); again in %ss", NOTIFY_CHANNEL,
                            type(exc).__name__, LISTEN_RECONNECT_SECONDS)
                self.stopping.wait(LISTEN_RECONNECT_SECONDS)

    def stop(self) -> None:
        self.stopping.set()
        self.runtime.outbox_waiting.set()
        self.runtime.doorbell.event.set()
        for thread in self.threads:
            thread.join(timeout=10)


@contextmanager
def active_worker(runtime, stopped: threading.Event, say):
    """On SQLite: wait until this is the one active worker (a lock file beside the
    database; the kernel releases it when a worker dies). Elsewhere: at once."""
    database = make_url(runtime.settings.database_url).database
    if not runtime.db.is_sqlite or database in (None, "", ":memory:"):
        yield True
        return
    fd = os.open(f"{database}-worker.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        waited = False
        while not stopped.is_set():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    say("another worker is active on this SQLite database; waiting to take over")
                    waited = True
                stopped.wait(0.5)
        yield not stopped.is_set()
    finally:
        os.close(fd)   # releases the lock


def run_worker(runtime, stopped: threading.Event, say=log.info) -> None:
    """A worker process's life: become active, run the threads until `stopped`.
    The process first lowers its CPU priority (CDHT_WORKER_NICE): where it shares the
    CPU with web processes, acknowledging within Zalo's deadline matters more than
    processing a moment sooner, and an idle CPU still goes to the worker."""
    if runtime.settings.worker_nice:
        os.nice(runtime.settings.worker_nice)
    with active_worker(runtime, stopped, say) as active:
        if not active:
            return
        workers = Workers(runtime)
        workers.start()
        say(f"worker {os.getpid()}: inbound processor and outbox dispatcher running")
        stopped.wait()
        say("stopping: the batch in hand is finished or rolled back, nothing is lost")
        workers.stop()
