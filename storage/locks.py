"""SQLite's one writer, shared fairly enough: acknowledgements first.

Threads and processes (gunicorn's web workers, the worker process) take turns on an
flock of a file beside the database; the kernel wakes a waiter the moment the lock is
released, where SQLite's own busy handler would sleep 1, 2, 5… ms and retry.

Urgent writers (a webhook's one INSERT) go first: they hold a turnstile file shared
while they wait for and hold the writer lock. Other writers pass the turnstile
exclusively before taking the writer lock, so they wait while acknowledgements are in
line, and a long unit of work (a processor's batch) asks `urgent_waiting()` between
events and commits early when one is. Under a flood of messages acknowledging wins and
processing catches up after; the webhook answers within Zalo's 2 seconds either way.
"""

import fcntl
import os
import threading
from contextlib import contextmanager


class WriterLock:
    def __init__(self, database: str | None):
        self._thread = threading.Lock()   # threads of one process, in turn
        self._writer = self._turnstile = None
        if database and database != ":memory:":
            self._writer = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._turnstile = os.open(f"{database}-turnstile.lock", os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def hold(self, urgent: bool):
        with self._thread:
            if self._writer is None:
                yield
                return
            if urgent:
                fcntl.flock(self._turnstile, fcntl.LOCK_SH)
            else:                       # wait until no acknowledgement is in line
                fcntl.flock(self._turnstile, fcntl.LOCK_EX)
                fcntl.flock(self._turnstile, fcntl.LOCK_UN)
            try:
                fcntl.flock(self._writer, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(self._writer, fcntl.LOCK_UN)
            finally:
                if urgent:
                    fcntl.flock(self._turnstile, fcntl.LOCK_UN)

    def urgent_waiting(self) -> bool:
        """Called while holding the writer lock: is an urgent writer in line?"""
        if self._turnstile is None:
            return False
        try:
            fcntl.flock(self._turnstile, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._turnstile, fcntl.LOCK_UN)
        return False

    def close(self) -> None:
        with self._thread:
            for fd in (self._writer, self._turnstile):
                if fd is not None:
                    os.close(fd)
            self._writer = self._turnstile = None
