"""The processor's half: claim pending events and run them, in order per contact.

A pass claims a batch and handles it in ONE transaction (one flush, one commit for all),
marking the events processed in the same commit as their effects. So an event's effects
and its "processed" mark are one atomic fact: a process killed mid-batch leaves every
event of the batch pending, and the next pass does them again from scratch. If any event
of the batch raises, the whole batch is rolled back and its events are taken again one
per transaction: the bad one fails alone and its try is counted, the others commit.
(Savepoints per event would contain a failure too, but flushing each event on its own
cost a third of the processor's time: docs/performance.md.)

Order per contact: only the oldest pending event of each (channel, address) can be
claimed. On PostgreSQL several processors claim with `FOR UPDATE SKIP LOCKED`: a head
another processor holds is skipped, and the contact's later events are not heads while it
is pending, so they wait. On SQLite every write transaction holds the one writer lock
(storage/locks.py, across processes) and one worker is active, so passes run one at a
time; each pass first moves what webhooks wrote to SQLite's inbox (storage/inbox.py).

Failures: retried after BACKOFF, the contact's later events waiting behind; after
`inbound_attempts` tries the event is parked as "failed" with its error, and the
contact's next messages go on. `flask --app wsgi inbound retry` puts parked ones back.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, literal_column, select, update

from storage.inbox import FIELDS
from storage.db import insert_for
from storage.models import InboundEvent
from webhooks.contract import Attachment, InboundMessage
from webhooks.http import redact

from .accept import notify
from .prefetch import prefetch
from .pipeline import handle

log = logging.getLogger(__name__)
BACKOFF = (timedelta(seconds=2), timedelta(seconds=10), timedelta(seconds=60))
BATCH = 32             # events claimed per pass
MOVE = 1000            # arrivals moved from SQLite's inbox per pass
WINDOW, WINDOWS = 256, 8   # pending ids read per look for heads, and looks per pass
BUDGET_SECONDS = 0.05  # a pass stops taking new events after this (on SQLite the dispatcher
                       # and delivery reports wait for it; acknowledgements never do)

# Written into the SQL, not bound: only then can SQLite (and PostgreSQL's generic plans)
# use the partial indexes, which hold just the few rows that wait.
PENDING, FAILED = literal_column("'pending'"), literal_column("'failed'")
_COLUMNS = (InboundEvent.id, InboundEvent.provider, InboundEvent.external_id,
            InboundEvent.channel, InboundEvent.address, InboundEvent.text, InboundEvent.kind,
            InboundEvent.attachments, InboundEvent.profile, InboundEvent.sent_at,
            InboundEvent.received_at, InboundEvent.attempts)


@dataclass
class Pass:
    processed: int = 0
    failed: int = 0            # tries that raised (retried later, or parked)
    replies: int = 0
    retry_at: datetime | None = None   # the earliest retry this pass scheduled

    @property
    def handled(self) -> int:
        return self.processed + self.failed


def claim(session, now: datetime, limit: int):
    """The oldest due events that are the first pending one of their contact.

    Reads the pending ids in order, a window at a time (the first time a contact shows
    up is its head; a head waiting for a retry holds back the contact's later events),
    then locks the due heads by primary key (PostgreSQL: FOR UPDATE SKIP LOCKED, re-checking
    they are still pending). Two short statements whose cost does not depend on how
    many events wait behind: a single NOT EXISTS query left the plan to PostgreSQL, which
    with a queue that grew faster than its statistics scanned every pending event for
    every batch (docs/performance.md)."""
    heads, seen, after = [], set(), 0
    for _ in range(WINDOWS):
        rows = session.execute(
            select(InboundEvent.id, InboundEvent.channel, InboundEvent.address,
                   InboundEvent.next_attempt_at)
            .where(InboundEvent.status == PENDING, InboundEvent.id > after)
            .order_by(InboundEvent.id).limit(WINDOW)).all()
        for row in rows:
            if (row.channel, row.address) not in seen:
                seen.add((row.channel, row.address))
                if row.next_attempt_at <= now:
                    heads.append(row.id)
        if len(heads) >= 2 * limit or len(rows) < WINDOW:
            break
        after = rows[-1].id
    if not heads:
        return []
    query = (select(*_COLUMNS).where(InboundEvent.id.in_(heads), InboundEvent.status == PENDING)
             .order_by(InboundEvent.id).limit(limit))
    if session.bind.dialect.name == "postgresql":   # a head another processor holds is skipped
        query = query.with_for_update(skip_locked=True, of=InboundEvent)
    return session.execute(query).all()


def message_of(row) -> InboundMessage:
    return InboundMessage(
        provider=row.provider, external_id=row.external_id, channel=row.channel,
        address=row.address, text=row.text or "", kind=row.kind or "text",
        attachments=tuple(Attachment(**a) for a in row.attachments or ()),
        profile=row.profile or {}, sent_at=row.sent_at)


def failure(row, exc: Exception, now: datetime, max_attempts: int) -> dict:
    """The event's new values after a try that raised."""
    attempts = row.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= max_attempts:
        log.error("inbound event %s parked as failed after %s tries: %s", row.id, attempts,
                  redact(error))
        return dict(id=row.id, status="failed", attempts=attempts, error=error, next_attempt_at=now)
    delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    log.warning("inbound event %s failed (try %s), again in %ss: %s", row.id, attempts,
                int(delay.total_seconds()), redact(error))
    return dict(id=row.id, status="pending", attempts=attempts, error=error,
                next_attempt_at=now + delay)


def process_pending(runtime, now: datetime | None = None, limit: int = BATCH) -> Pass:
    """One pass: claim up to `limit` events and handle them together in one transaction.
    If any of them raises, nothing of the batch is kept and the same events are taken
    again one per transaction, where the bad one fails alone."""
    now = now or datetime.now(timezone.utc)
    try:
        return _together(runtime, now, limit)
    except Exception as exc:   # each event's own failure is logged (redacted) when it recurs
        log.info("an inbound batch failed (%s); taking its events one by one",
                 redact(f"{type(exc).__name__}: {exc}")[:300])
        return process_one_by_one(runtime, now, limit)


def move_arrivals(runtime) -> int:
    """SQLite: bring what webhooks wrote to the inbox into inbound_events, in arrival
    order; then delete it from the inbox (storage/inbox.py). Returns how many."""
    if runtime.inbox is None:
        return 0
    rows = runtime.inbox.take(MOVE)
    if rows:
        with runtime.db.transaction() as session:
            session.execute(insert_for(session)(InboundEvent.__table__).on_conflict_do_nothing(
                index_elements=["provider", "external_id"]),
                [{**{f: row[f] for f in FIELDS}, "status": "pending", "attempts": 0,
                  "next_attempt_at": row["received_at"]} for row in rows])
        runtime.inbox.remove([row["id"] for row in rows])
    return len(rows)


def _together(runtime, now: datetime, limit: int) -> Pass:
    move_arrivals(runtime)
    runtime.script()   # loaded once per process; not part of the first batch's time budget
    started = time.monotonic()
    result = Pass()
    with runtime.db.transaction() as session:
        done = []
        rows = claim(session, now, limit)
        cache = prefetch(session, {(r.channel, r.address): r.received_at for r in reversed(rows)},
                         insert_for)
        for row in rows:
            if done and time.monotonic() - started > BUDGET_SECONDS:
                break   # unclaimed again at commit; the next pass takes them
            contact_id, replies = handle(runtime, session, message_of(row), row.id,
                                         row.received_at, cache)
            done.append(dict(id=row.id, status="processed", contact_id=contact_id,
                             processed_at=datetime.now(timezone.utc), error=None))
            result.replies += len(replies)
        if done:   # ORM bulk UPDATE by primary key: one executemany, in the same commit
            session.execute(update(InboundEvent), done)
    result.processed = len(done)
    if result.replies:
        runtime.outbox_waiting.set()
    return result


def process_one_by_one(runtime, now: datetime, count: int = BATCH) -> Pass:
    total = Pass()
    for _ in range(count):
        one = _alone(runtime, now)
        if not one.handled:
            break
        total.processed += one.processed
        total.failed += one.failed
        total.replies += one.replies
        total.retry_at = min(filter(None, (total.retry_at, one.retry_at)), default=None)
    if total.replies:
        runtime.outbox_waiting.set()
    return total


def _alone(runtime, now: datetime) -> Pass:
    """The first due event in a transaction of its own; if it raises, the try is counted
    in a second one."""
    row = None
    try:
        with runtime.db.transaction() as session:
            rows = claim(session, now, 1)
            if not rows:
                return Pass()
            row = rows[0]
            contact_id, replies = handle(runtime, session, message_of(row), row.id, row.received_at)
            session.execute(update(InboundEvent), [dict(
                id=row.id, status="processed", contact_id=contact_id,
                processed_at=datetime.now(timezone.utc), error=None)])
        return Pass(processed=1, replies=len(replies))
    except Exception as exc:
        if row is None:
            raise   # the claim itself failed: the database, not an event
        log.debug("inbound event %s raised", row.id, exc_info=True)
        values = failure(row, exc, now, runtime.settings.inbound_attempts)
        with runtime.db.transaction() as session:
            # only if nobody else took it meanwhile (another processor, on PostgreSQL)
            session.execute(update(InboundEvent).where(
                InboundEvent.id == row.id, InboundEvent.status == "pending",
                InboundEvent.attempts == row.attempts).values(
                {k: v for k, v in values.items() if k != "id"}))
        retry_at = values["next_attempt_at"] if values["status"] == "pending" else None
        return Pass(failed=1, retry_at=retry_at)


def drain(runtime, now: datetime | None = None) -> Pass:
    """Process until nothing due is left (tests, `flask inbound process`)."""
    total = Pass()
    while True:
        one = process_pending(runtime, now)
        if not one.handled:
            return total
        total.processed += one.processed
        total.failed += one.failed
        total.replies += one.replies


# --- what an operator sees and does -----------------------------------------------------------

def stats(session, now: datetime, inbox=None) -> dict:
    """Numbers for /healthz: SQLite's inbox counts as pending."""
    pending = session.execute(select(func.count(), func.min(InboundEvent.id))
                              .where(InboundEvent.status == PENDING)).one()
    oldest = session.scalar(select(InboundEvent.received_at).where(InboundEvent.id == pending[1])) \
        if pending[1] is not None else None
    waiting = pending[0]
    if inbox is not None:
        arrived, first = inbox.stats()
        waiting += arrived
        oldest = min(filter(None, (oldest, first)), default=None)
    failed = session.scalar(select(func.count()).select_from(InboundEvent)
                            .where(InboundEvent.status == FAILED))
    return {"inbound_pending": waiting, "inbound_failed": failed,
            "inbound_oldest_pending_s": round((now - oldest).total_seconds(), 3) if oldest else 0}


def parked(session, limit: int = 1000) -> list[InboundEvent]:
    return session.scalars(select(InboundEvent).where(InboundEvent.status == FAILED)
                           .order_by(InboundEvent.id).limit(limit)).all()


def retry(runtime, ids: list[int] | None, now: datetime | None = None) -> int:
    """Put parked events back in the queue (`ids` None: all of them); returns how many."""
    now = now or datetime.now(timezone.utc)
    where = [InboundEvent.status == FAILED]
    if ids is not None:
        where.append(InboundEvent.id.in_(ids))
    with runtime.db.transaction() as session:
        count = session.execute(update(InboundEvent).where(and_(*where)).values(
            status="pending", attempts=0, next_attempt_at=now)).rowcount
        if count:
            notify(session)
    if count:
        runtime.doorbell.ring()
    return count
