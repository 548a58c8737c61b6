"""How a stored event wakes the processor, wherever it runs.

- In the same process: a threading.Event.
- Another process on PostgreSQL: NOTIFY, sent in the acknowledging statement itself
  (bot/inbound/accept.py); the worker LISTENs (bot/workers.py).
- Another process on SQLite, which has no NOTIFY: a Unix datagram socket beside the
  database file. The active worker binds it; `ring` sends one byte to it without
  waiting (a full or missing socket is ignored: the worker is then busy, or absent and
  its poll will find the event).
"""

import logging
import os
import socket
import threading

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
MAX_SOCKET_PATH = 100   # sun_path holds 108 bytes


class Doorbell:
    def __init__(self, database_url: str):
        url = make_url(database_url)
        self.event = threading.Event()
        self.path = None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = f"{os.path.abspath(url.database)}-wake.sock"
            if len(path.encode()) <= MAX_SOCKET_PATH:
                self.path = path
            else:
                log.warning("%s is too long for a socket path: workers in other processes "
                            "will find new messages by polling", path)
        self._sender = None
        self._lock = threading.Lock()

    def ring(self) -> None:
        self.event.set()
        if self.path is None:
            return
        try:
            with self._lock:
                if self._sender is None:
                    self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    self._sender.setblocking(False)
                self._sender.sendto(b"!", self.path)
        except OSError:   # nobody listening, or already rung and not yet read
            pass

    def bind(self) -> socket.socket | None:
        """The active worker's socket (on SQLite), bound before the worker says it runs,
        so no ring is lost in between."""
        if self.path is None:
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            os.unlink(self.path)   # left by a worker that died
        except FileNotFoundError:
            pass
        sock.bind(self.path)
        sock.settimeout(1.0)
        return sock

    def answer(self, sock: socket.socket | None, stopping: threading.Event) -> None:
        """Turn every ring into `event` until `stopping` (a thread of the active worker)."""
        if sock is None:
            return
        with sock:
            try:
                while not stopping.is_set():
                    try:
                        sock.recv(64)
                    except socket.timeout:
                        continue
                    self.event.set()
            finally:
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass

    def close(self) -> None:
        with self._lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None
