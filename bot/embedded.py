"""CDHT_EMBEDDED_WORKERS=1 (the default on SQLite, and `make run`): the web process
starts the worker and the scheduler itself, so one command serves every channel.

The worker runs as a child process, not as threads of the web process: a CPU-bound
thread beside the request handler makes every acknowledgement wait for the GIL at each
database call and socket read (measured under gunicorn: 66 acknowledgements/s with the
processor as a thread, against 770/s without it; docs/performance.md). The child gets
the parent's settings on its stdin, exits when the parent goes, and on SQLite only one
child is active at a time (bot/workers.py). Started by the first request, never at
import or by a CLI command.
"""

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import threading

from .config import ROOT

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, settings):
        self.settings = settings
        self.child: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self.child is not None:
            return
        with self._lock:
            if self.child is None:
                child = subprocess.Popen([sys.executable, "-m", "bot.embedded"], cwd=ROOT,
                                         stdin=subprocess.PIPE)
                child.stdin.write(json.dumps(dataclasses.asdict(self.settings)).encode())
                child.stdin.close()
                self.child = child

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()


def main() -> None:
    from .config import Settings
    from .runtime import Runtime
    from .jobs.scheduler import run_scheduler
    from .workers import run_worker
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(**json.load(sys.stdin)).check()
    parent = os.getppid()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C reaches the parent, which stops us

    def orphaned():
        while not stopped.wait(1):
            if os.getppid() != parent:
                stopped.set()

    threading.Thread(target=orphaned, name="cdht-parent-watch", daemon=True).start()
    runtime = Runtime(settings)
    # the scheduler too: one command serves everything (it runs in one process only,
    # whichever web process's child takes its lock first)
    scheduler = threading.Thread(target=run_scheduler, args=(runtime, stopped),
                                 name="cdht-scheduler", daemon=True)
    scheduler.start()
    run_worker(runtime, stopped)
    scheduler.join(timeout=30)


if __name__ == "__main__":
    main()
