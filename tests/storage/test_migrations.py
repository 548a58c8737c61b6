"""Migrations are the schema: the head revision matches the models exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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
