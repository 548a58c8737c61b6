"""Engines and transactions for SQLite (embedded, the default) and PostgreSQL.

SQLite: WAL so readers never wait for the writer, a busy timeout so writers
queue instead of failing, foreign keys on, and every transaction BEGIN
IMMEDIATE so two messages for one contact are serialised before either reads
(`Database.read()` is the exception: deferred, for exports and listings).
PostgreSQL: ordinary transactions; callers lock rows with SELECT … FOR UPDATE.
"""

import fcntl
import os
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                              "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the driver would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer. Writers queue on this lock instead of in SQLite's busy
        # handler, which sleeps and retries, so a waiting writer can lose to newcomers
        # for seconds (measured: 2–3 s tails under 4 threads).
        self._writer = WriterLock(make_url(url).database) if self.is_sqlite else nullcontext()
        self._open = threading.local()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self):
        """One unit of work: committed on success, rolled back on any exception. Never
        nested: a second one in the same thread would wait for the first forever."""
        if getattr(self._open, "transaction", False):
            raise RuntimeError("a transaction is already open in this thread")
        self._open.transaction = True
        try:
            with self._writer, self.sessions() as session, session.begin():
                yield session
        finally:
            self._open.transaction = False

    @contextmanager
    def connection(self):
        """A transaction on a bare Core connection, no ORM session: for the one prepared
        statement of a webhook acknowledgement, where a session's bookkeeping would cost
        more than the statement. Same writer rules as `transaction`."""
        if getattr(self._open, "transaction", False):
            raise RuntimeError("a transaction is already open in this thread")
        self._open.transaction = True
        try:
            with self._writer, self.engine.begin() as conn:
                yield conn
        finally:
            self._open.transaction = False

    @contextmanager
    def read(self):
        """A read-only unit of work. On SQLite it does not take the write lock, so an
        export piped into `less` never holds up the webhooks."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if isinstance(self._writer, WriterLock):
            self._writer.close()


class WriterLock:
    """SQLite's one writer, as a lock that threads and processes (gunicorn's workers, a
    `flask worker`) wait on in order: a thread lock, then an flock on a file beside the
    database. The kernel wakes the next waiter the moment it is released; SQLite's own
    busy handler would sleep 1, 2, 5… ms and retry. Nothing to do for `:memory:`."""

    def __init__(self, database: str | None):
        self._thread = threading.Lock()
        self._fd = None
        if database and database != ":memory:":
            self._fd = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self):
        self._thread.acquire()
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread.release()
                raise
        return self

    def __exit__(self, *exc):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread.release()

    def close(self) -> None:
        if self._fd is not None:
            with self._thread:
                os.close(self._fd)
                self._fd = None
