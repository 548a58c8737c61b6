"""Shared fixtures. The database is SQLite in a temp folder, or PostgreSQL when
TEST_DATABASE_URL is set — and then it must be reachable: a run that silently
fell back would hide every PostgreSQL bug, so the session stops instead."""

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.inbox import Inbox, arrivals  # noqa: E402
from storage.models import (Answer, Assessment, AuditEntry, Broadcast, Campaign, Citizen,  # noqa: E402
                            ConsentRecord, Contact, ConversationSession, Course, CourseSignup,
                            DeliveryAttempt, Evidence, FigureSnapshot, InboundEvent, JobRun, Officer, Outbox,
                            ProviderToken, RateBucket, Unit)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# CI runs the property tests on a fixed set of examples, so a run is repeatable; locally
# each run draws new ones (tests/flows/test_reading_properties.py).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
# Rows a test may create, children first; units and officers are seeded once.
PER_TEST_TABLES = (DeliveryAttempt, Outbox, Broadcast, Campaign, CourseSignup, Course, InboundEvent,
                   ConsentRecord, Evidence, Answer, Assessment, ConversationSession, Contact,
                   Citizen, ProviderToken, RateBucket, JobRun, AuditEntry, FigureSnapshot)
SEEDED_OFFICER = "demo"


def pytest_report_header(config):
    return f"database: {TEST_DATABASE_URL or 'SQLite (temporary file)'}"


def _on_postgres(url: str, *statements: str) -> None:
    """Run statements on the test database, or stop the whole run saying why."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    except Exception as exc:
        pytest.exit(f"TEST_DATABASE_URL is set but the database cannot be used: {exc}",
                    returncode=3)
    finally:
        engine.dispose()


def pytest_sessionstart(session):
    """Fail before any test runs when the PostgreSQL run cannot reach its database."""
    if TEST_DATABASE_URL:
        _on_postgres(TEST_DATABASE_URL, "SELECT 1")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        _on_postgres(TEST_DATABASE_URL, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    migrate.upgrade(url)
    from bot.seed import seed_demo
    db = Database(url)
    with db.transaction() as session:
        seed_demo(session, "test-password", datetime(2026, 1, 1, tzinfo=timezone.utc))
    db.dispose()
    return url


@pytest.fixture(scope="session")
def seeded_units(database_url) -> int:
    """The highest unit id the seed made: units after it are a test's own."""
    db = Database(database_url)
    with db.read() as session:
        top = session.scalar(select(func.max(Unit.id)))
    db.dispose()
    return top


@pytest.fixture
def clean_db(database_url, seeded_units):
    """The seeded database with no citizens, messages or events, and none of the units
    and accounts a test made (tests that reshape the tree use units of their own)."""
    db = Database(database_url)
    with db.transaction() as session:
        for table in PER_TEST_TABLES:
            session.execute(delete(table))
        session.execute(delete(Officer).where(Officer.username != SEEDED_OFFICER))
        own = session.scalars(select(Unit).where(Unit.id > seeded_units)).all()
        for unit in own:
            unit.merged_into_id = None
        session.flush()
        for unit in sorted(own, key=lambda u: -len(u.path)):
            session.delete(unit)
            session.flush()
    db.dispose()
    if not TEST_DATABASE_URL:   # SQLite: the webhooks' inbox file too (storage/inbox.py)
        inbox = Inbox(make_url(database_url).database)
        with inbox.db.connection() as conn:
            conn.execute(delete(arrivals))
        inbox.dispose()
    return database_url


@pytest.fixture
def make_app(clean_db):
    from bot.app import create_app
    apps = []

    def factory(**overrides):
        # Tests pass their own `now`, mostly not today: quiet hours are off unless a
        # test is about them
        settings = {"database_url": clean_db, "console": True, "embedded_workers": False,
                    "criteria_dir": None, "send_window": "always", **overrides}
        app = create_app(settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["cdht.workers"].stop()
        app.extensions["cdht"].dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def runtime(app):
    return app.extensions["cdht"]
