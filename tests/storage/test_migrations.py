"""Migrations are the schema: the head revision matches the models exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from storage import migrate
from storage.db import Database
from storage.models import Base


def test_head_matches_the_models(database_url):
    db = Database(database_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_downgrade_and_upgrade_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    db = Database(url)
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
    db.dispose()
    migrate.upgrade(url)
    db = Database(url)
    assert {"citizens", "outbox", "inbound_events", "units"} <= set(inspect(db.engine).get_table_names())
    db.dispose()


def test_sqlite_is_set_up_for_concurrent_writers(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    db.dispose()


def test_a_transaction_inside_another_fails_at_once(tmp_path):
    """It would otherwise wait on itself (SQLite's single writer) until the busy timeout."""
    db = Database(f"sqlite:///{tmp_path / 'n.sqlite3'}")
    with db.transaction():
        with pytest.raises(RuntimeError, match="already open"):
            with db.transaction():
                pass
    with db.transaction():   # and the outer one ended cleanly
        pass
    db.dispose()


def test_the_queue_upgrade_keeps_every_event_and_takes_them_as_processed(tmp_path):
    """Before 0004 the webhook ran the conversation before answering: every stored event was
    processed, and so is every row an old process still writes during a rolling upgrade."""
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    migrate.upgrade(url, "0003")
    db = Database(url)
    insert = text("INSERT INTO inbound_events (provider, external_id, received_at) "
                  "VALUES ('zalo', :id, '2026-11-01 08:00:00')")
    with db.engine.begin() as conn:
        conn.execute(insert, {"id": "before"})
    migrate.upgrade(url)
    with db.engine.begin() as conn:
        conn.execute(insert, {"id": "old-code"})   # a process not yet restarted
        conn.execute(text("INSERT INTO inbound_events (provider, external_id, received_at, status) "
                          "VALUES ('zalo', 'new', '2026-11-01 08:00:01', 'pending')"))
        rows = conn.execute(text("SELECT external_id, status, attempts FROM inbound_events "
                                 "ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("before", "processed", 0), ("old-code", "processed", 0),
                                        ("new", "pending", 0)]
    with pytest.raises(RuntimeError, match="1 inbound event"):   # nothing lost by going back
        migrate.downgrade(url, "0003")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE inbound_events SET status = 'processed'"))
    migrate.downgrade(url, "0003")
    db.dispose()
