"""A refresh token works once: two processes refreshing at the same moment must make
exactly one call to Zalo, and both must end up with the new access token."""

import multiprocessing
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.tokens import TokenError
from storage.models import ProviderToken
from tests.fake_zalo import FakeZalo, zalo_settings
from tests.refresh_worker import refresh_in_process


def _two_processes(database_url, settings, reason, refused):
    context = multiprocessing.get_context("spawn")   # real processes, nothing shared in memory
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=refresh_in_process,
                               args=(database_url, settings, reason, refused, barrier, results))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    return [results.get(timeout=5) for _ in workers]


@pytest.mark.parametrize("reason", ["ahead", "refused"])
def test_two_processes_refresh_once(make_app, clean_db, reason):
    # Zalo takes a moment to answer, so the second process arrives while the first holds the lock.
    with FakeZalo(refresh_delay=0.5) as fake:
        settings = zalo_settings(fake)
        tokens = make_app(**settings).extensions["cdht"].host.tokens("zalo")
        near_expiry = datetime.now(timezone.utc) + timedelta(hours=1)
        tokens.set_tokens(fake.access, fake.refresh, expires_at=near_expiry)
        refused = fake.access if reason == "refused" else None
        results = _two_processes(clean_db, settings, reason, refused)
        assert len(fake.refresh_calls) == 1
        assert results == [fake.access, fake.access]            # both use the new token
        assert tokens.current() == fake.access
        assert tokens.status()["token"] == "ok"


def test_an_error_shaped_answer_never_replaces_working_tokens(make_app):
    with FakeZalo() as fake:
        tokens = make_app(**zalo_settings(fake)).extensions["cdht"].host.tokens("zalo")
        tokens.set_tokens("access-good", "refresh-not-known-to-zalo")
        with pytest.raises(TokenError, match="-14014"):
            tokens.refresh(reason="forced")
        assert tokens.current() == "access-good"
        status = tokens.status()
        assert status["token"] == "ok" and "Invalid refresh token" in status["last_refresh_error"]
        with tokens.runtime.db.read() as session:
            assert session.scalars(select(ProviderToken.refresh_token)).one() == "refresh-not-known-to-zalo"


def test_workers_refresh_ahead_of_expiry_and_not_before(make_app):
    from bot.tokens import keep_fresh
    with FakeZalo() as fake:
        runtime = make_app(**zalo_settings(fake)).extensions["cdht"]
        tokens = runtime.host.tokens("zalo")
        keep_fresh(runtime)                                   # no tokens yet: nothing to do
        tokens.set_tokens(fake.access, fake.refresh,
                          expires_at=datetime.now(timezone.utc) + timedelta(hours=5))
        keep_fresh(runtime)                                   # 5 h left: still fresh
        assert fake.refresh_calls == []
        tokens.set_tokens(fake.access, fake.refresh,
                          expires_at=datetime.now(timezone.utc) + timedelta(hours=2))
        keep_fresh(runtime)                                   # under 3 h: refreshed
        assert len(fake.refresh_calls) == 1 and tokens.current() == fake.access
