"""The background work, as threads: the inbound processor, the outbox dispatcher (which
also keeps the Zalo token fresh) and, on PostgreSQL, a listener that wakes the processor
when another process queues an event.

They run in `flask --app wsgi worker` (one or several processes on PostgreSQL), or in
the web process with CDHT_EMBEDDED_WORKERS=1 (the default on SQLite), started by its
first request. Never at import or by another CLI command.

Waking: an acknowledgement in this process sets `runtime.inbound_waiting`; one in
another process reaches us through PostgreSQL's NOTIFY (bot/inbound/accept.py). A
CDHT_INBOUND_POLL poll is the safety net. On SQLite a separate worker process has no
NOTIFY and relies on that poll: run the workers embedded there (docs/operations.md).
"""

import logging
import threading
import time
from datetime import datetime, timezone

from .inbound.accept import NOTIFY_CHANNEL
from .inbound.queue import process_one_by_one, process_pending
from .outbox import dispatch_due
from .tokens import keep_fresh

TOKEN_CHECK_SECONDS = 600   # how often to look whether the Zalo token needs refreshing
LISTEN_RECONNECT_SECONDS = 5

log = logging.getLogger(__name__)


class Workers:
    def __init__(self, runtime):
        self.runtime = runtime
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self.threads:
            return
        with self._lock:
            if self.threads:
                return
            loops = [("cdht-inbound", self._process), ("cdht-dispatcher", self._dispatch)]
            if not self.runtime.db.is_sqlite:
                loops.append(("cdht-listener", self._listen))
            for name, target in loops:
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                self.threads.append(thread)

    def _process(self) -> None:
        waiting, poll = self.runtime.inbound_waiting, self.runtime.settings.inbound_poll
        while not self.stopping.is_set():
            retry_at = None
            try:
                while not self.stopping.is_set():
                    done = process_pending(self.runtime)
                    retry_at = min(filter(None, (retry_at, done.retry_at)), default=None)
                    if not done.handled:
                        break
            except Exception:
                log.exception("an inbound batch failed; taking its events one by one")
                try:
                    process_one_by_one(self.runtime)
                except Exception:
                    log.exception("the inbound processor cannot reach the database")
                    self.stopping.wait(1)   # do not spin while the database is away
            seconds = poll
            if retry_at is not None:
                until = (retry_at - datetime.now(timezone.utc)).total_seconds()
                seconds = max(0.05, min(poll, until))
            waiting.wait(seconds)
            waiting.clear()

    def _dispatch(self) -> None:
        interval = self.runtime.settings.dispatch_interval
        next_token_check = 0.0
        while not self.stopping.is_set():
            try:
                if time.monotonic() >= next_token_check:
                    keep_fresh(self.runtime)
                    next_token_check = time.monotonic() + TOKEN_CHECK_SECONDS
                while dispatch_due(self.runtime) and not self.stopping.is_set():
                    pass
            except Exception:
                log.exception("dispatcher pass failed; trying again in %ss", interval)
            self.runtime.outbox_waiting.wait(interval)
            self.runtime.outbox_waiting.clear()

    def _listen(self) -> None:
        """LISTEN for events queued by other processes; reconnect when the link drops."""
        import psycopg
        url = self.runtime.db.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while not self.stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.runtime.inbound_waiting.set()   # whatever came while we were away
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.runtime.inbound_waiting.set()
            except psycopg.Error as exc:
                log.warning("LISTEN %s lost (%s); again in %ss", NOTIFY_CHANNEL,
                            type(exc).__name__, LISTEN_RECONNECT_SECONDS)
                self.stopping.wait(LISTEN_RECONNECT_SECONDS)

    def stop(self) -> None:
        self.stopping.set()
        self.runtime.outbox_waiting.set()
        self.runtime.inbound_waiting.set()
        for thread in self.threads:
            thread.join(timeout=5)
