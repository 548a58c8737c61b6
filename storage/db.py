"""Engines and transactions for SQLite (embedded, the default) and PostgreSQL.

SQLite: WAL so readers never wait for the writer, a busy timeout so writers
queue instead of failing, foreign keys on, and every transaction BEGIN
IMMEDIATE so two messages for one contact are serialised before either reads
(`Database.read()` is the exception: deferred, for exports and listings).
PostgreSQL: ordinary transactions; callers lock rows with SELECT … FOR UPDATE.
"""

import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from .locks import WriterLock

BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs) -> Engine:
    parsed = make_url(url)
    # hide_parameters: an error's message would otherwise quote the row's values (a phone
    # number, a citizen's text) into the logs
    kwargs.setdefault("hide_parameters", True)
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
        self._writer = WriterLock(make_url(url).database) if self.is_sqlite else None
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
            with self._write_lock(), self.sessions() as session, session.begin():
                yield session
        finally:
            self._open.transaction = False

    @contextmanager
    def connection(self):
        """A transaction on a bare Core connection, no ORM session, for a single Core
        statement (SQLite's inbox). Same writer rules as `transaction`."""
        if getattr(self._open, "transaction", False):
            raise RuntimeError("a transaction is already open in this thread")
        self._open.transaction = True
        try:
            with self._write_lock(), self.engine.begin() as conn:
                yield conn
        finally:
            self._open.transaction = False

    def prepared(self, statement):
        """`run(values) -> first row or None`: one statement compiled once and sent on a
        raw pooled driver connection in a transaction of its own, values converted by the
        columns' own type processors. For the webhook's acknowledgement, where SQLAlchemy's
        per-execution bookkeeping costs more than the statement (docs/performance.md)."""
        dialect = self.engine.dialect
        compiled = statement.compile(dialect=dialect)
        fixed = dict(compiled.params)   # literals in the statement itself
        convert = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                convert[name] = processor
        sql = str(compiled)

        def run(values: dict):
            params = {**fixed, **{k: convert[k](v) if k in convert else v for k, v in values.items()}}
            if compiled.positional:   # "?" drivers (sqlite3) take a tuple
                params = tuple(params[name] for name in compiled.positiontup)
            if getattr(self._open, "transaction", False):
                raise RuntimeError("a transaction is already open in this thread")
            with self._write_lock():
                conn = self.engine.raw_connection()
                try:
                    cursor = conn.cursor()
                    cursor.execute(sql, params)
                    rows = cursor.fetchall()   # to the end: sqlite3 finishes the statement
                    conn.commit()
                    return rows[0] if rows else None
                except BaseException:
                    conn.rollback()
                    raise
                finally:
                    conn.close()   # back to the pool
        return run

    @contextmanager
    def read(self):
        """A read-only unit of work. On SQLite it does not take the write lock, so an
        export piped into `less` never holds up the webhooks."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session

    def _write_lock(self):
        return self._writer.hold() if self._writer else nullcontext()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer:
            self._writer.close()


def insert_for(session):
    """INSERT with ON CONFLICT for the session's database."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
