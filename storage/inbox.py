"""SQLite's inbox: where webhooks write, so that acknowledging never waits for processing.

SQLite has one writer per database file, and the processor holds the main file's lock
while it runs a batch of conversations. So on SQLite the webhook's one INSERT goes to a
second file beside the database (`<database>-inbox`), whose lock only acknowledgements
and the processor's brief hand-over take. The processor moves arrivals into
`inbound_events` in the main file (INSERT … ON CONFLICT DO NOTHING, commit), then deletes
them here. A crash between the two leaves them here, and moving them again changes
nothing: `inbound_events` keeps (provider, external_id) unique.

The inbox is a buffer, not a record: its one table is created when it is opened, and
its layout version is in the file name. PostgreSQL needs none of it: its writers lock
rows, not the database, and webhooks insert into `inbound_events` directly.
"""

import sqlite3
import threading

from sqlalchemy import (JSON, Column, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        bindparam, delete, func, select)
from sqlalchemy.dialects import sqlite

from .db import BUSY_TIMEOUT_MS, Database
from .base import UTCDateTime

LAYOUT = 1
metadata = MetaData()
arrivals = Table(
    "arrivals", metadata,
    Column("id", Integer, primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("channel", String(16)), Column("address", String(128)), Column("text", Text),
    Column("kind", String(16)), Column("attachments", JSON), Column("profile", JSON),
    Column("sent_at", UTCDateTime), Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("provider", "external_id"),
)
FIELDS = tuple(c.name for c in arrivals.columns if c.name != "id")


class Inbox:
    def __init__(self, database_path: str):
        self.db = Database(f"sqlite:///{database_path}-inbox{LAYOUT}.sqlite3")
        metadata.create_all(self.db.engine)
        self._main = database_path
        # The acknowledgement goes to the driver directly (Database.prepared): SQLAlchemy's
        # connection, transaction and execution bookkeeping cost more than the statement.
        self._add = self.db.prepared(
            sqlite.insert(arrivals).values({f: bindparam(f) for f in FIELDS})
            .on_conflict_do_nothing(index_elements=["provider", "external_id"])
            .returning(arrivals.c.id))
        self._readers = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def add(self, values: dict) -> bool:
        """Store one arrival; False when this provider delivered it before."""
        return self._add({f: values[f] for f in FIELDS}) is not None

    def seen(self, provider: str, external_id: str) -> bool:
        """Already moved into the main database's inbound_events (a read: no lock; one
        read-only driver connection per thread, for the same reason as `add`)."""
        conn = getattr(self._readers, "main", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self._main}?mode=ro", uri=True, isolation_level=None,
                                   timeout=BUSY_TIMEOUT_MS / 1000,
                                   check_same_thread=False)   # dispose closes it from elsewhere
            self._readers.main = conn
            with self._lock:
                self._opened.append(conn)
        return conn.execute("SELECT 1 FROM inbound_events WHERE provider = ? AND external_id = ?",
                            (provider, external_id)).fetchone() is not None

    def take(self, limit: int) -> list[dict]:
        """The oldest arrivals, in the order they came (a read: no lock)."""
        with self.db.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                rows = conn.execute(select(arrivals).order_by(arrivals.c.id).limit(limit))
                return [dict(row._mapping) for row in rows]

    def remove(self, ids: list[int]) -> None:
        with self.db.connection() as conn:
            conn.execute(delete(arrivals).where(arrivals.c.id.in_(ids)))

    def stats(self):
        """(how many wait, when the oldest came)."""
        with self.db.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                return conn.execute(select(func.count(), func.min(arrivals.c.received_at))).one()

    def dispose(self) -> None:
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._readers = threading.local()
        self.db.dispose()
