"""Embedded workers: with CDHT_EMBEDDED_WORKERS=1 (the default on SQLite) the web
process runs the outbox dispatcher in a background thread, so `flask run` alone
delivers replies (and keeps the Zalo token fresh). Started by the first request, never
at import or by a CLI command."""

import logging
import threading
import time

from .outbox import dispatch_due
from .tokens import keep_fresh

TOKEN_CHECK_SECONDS = 600   # how often to look whether the Zalo token needs refreshing

log = logging.getLogger(__name__)


class EmbeddedWorkers:
    def __init__(self, runtime):
        self.runtime = runtime
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self.thread is not None:
            return
        with self._lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="cdht-dispatcher",
                                               daemon=True)
                self.thread.start()

    def _run(self) -> None:
        interval = self.runtime.settings.dispatch_interval
        next_token_check = 0.0
        while not self.stopping.is_set():
            try:
                if time.monotonic() >= next_token_check:
                    keep_fresh(self.runtime)
                    next_token_check = time.monotonic() + TOKEN_CHECK_SECONDS
                while dispatch_due(self.runtime):
                    pass
            except Exception:
                log.exception("dispatcher pass failed; trying again in %ss", interval)
            self.runtime.outbox_waiting.wait(interval)
            self.runtime.outbox_waiting.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.runtime.outbox_waiting.set()
        if self.thread:
            self.thread.join(timeout=5)
