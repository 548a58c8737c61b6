"""Per-channel rate limits: token buckets kept in the database, so every worker on every
machine draws from the same one. A bucket refills at `rate` tokens a second up to one
second's worth; a batch takes what it needs in one locked UPDATE. That is one row write
per batch (a few a second at most), which PostgreSQL does without noticing: Redis would
add a service to run for no measurable gain."""

import math
from datetime import datetime

from sqlalchemy import select

from storage.db import insert_for
from storage.models import RateBucket


BURST = 5   # a bucket holds one second's worth, and never less than this: a citizen's
            # two or three replies go together even through a slow SMS phone


def capacity(rate: float) -> float:
    return max(rate, BURST)


def refill(tokens: float, since: datetime, now: datetime, rate: float) -> float:
    """Tokens in a bucket that held `tokens` at `since` (never more than its capacity; a
    clock that went backwards adds nothing)."""
    elapsed = max(0.0, (now - since).total_seconds())
    return min(capacity(rate), tokens + elapsed * rate)


def take(session, name: str, rate: float, want: int, now: datetime) -> tuple[int, float]:
    """Take up to `want` tokens from bucket `name`, in the caller's transaction. Returns
    (granted, seconds until the next token) ; `rate` 0 means no limit."""
    if rate <= 0 or want <= 0:
        return want, 0.0
    session.execute(insert_for(session)(RateBucket)
                    .values(name=name, tokens=capacity(rate), updated_at=now)
                    .on_conflict_do_nothing(index_elements=["name"]))
    bucket = session.scalars(select(RateBucket).where(RateBucket.name == name)
                             .with_for_update()).one()
    tokens = refill(bucket.tokens, bucket.updated_at, now, rate)
    granted = max(0, min(want, math.floor(tokens)))   # drained (Zalo -32): below zero
    bucket.tokens, bucket.updated_at = tokens - granted, max(now, bucket.updated_at)
    # short of tokens: come back when a quarter second's worth has gathered, not for each
    # single token (a claim reads and routes a whole batch to send one message)
    need = min(want - granted, max(1.0, rate / 4))
    wait = 0.0 if granted == want else (need - bucket.tokens) / rate
    return granted, wait


def drain(session, name: str, rate: float, now: datetime, seconds: float = 1.0) -> None:
    """The provider said we go too fast (Zalo -32): nothing more for `seconds`."""
    if rate <= 0:
        return
    session.execute(insert_for(session)(RateBucket)
                    .values(name=name, tokens=-rate * seconds, updated_at=now)
                    .on_conflict_do_update(index_elements=["name"],
                                           set_={"tokens": -rate * seconds, "updated_at": now}))


def available(session, rates: dict[str, float], now: datetime) -> tuple[int | None, float]:
    """Without locking: the most tokens any of these buckets holds now (None: one of them
    has no limit), and when the first of them will hold a quarter second's worth. A claim
    takes no more rows than that: reading and routing rows it cannot send is waste."""
    if any(rate <= 0 for rate in rates.values()):
        return None, 0.0
    stored = {b.name: b for b in session.scalars(select(RateBucket).where(
        RateBucket.name.in_(list(rates))))}
    most, soonest = 0, float("inf")
    for name, rate in rates.items():
        bucket = stored.get(name)
        tokens = capacity(rate) if bucket is None else refill(bucket.tokens, bucket.updated_at,
                                                              now, rate)
        most = max(most, math.floor(tokens))
        soonest = min(soonest, max(0.0, (max(1.0, rate / 4) - tokens) / rate))
    return most, soonest
