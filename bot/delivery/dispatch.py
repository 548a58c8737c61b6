"""Sending a claimed batch: `send_concurrency` requests in flight at once (a provider
answers in tens to hundreds of milliseconds; one at a time would cap a worker at a few
messages a second), each outcome recorded as soon as it is known, a few at a time in one
transaction, so a worker that dies leaves only its requests in flight in doubt.

What each outcome does to the row (and each is a DeliveryAttempt):
- sent: "sent", the provider's id kept;
- RetryLater: queued again after an exponential backoff with jitter, "failed" after
  CDHT_MAX_ATTEMPTS tries (never, when the fault is ours: no token yet); Zalo -32 also
  empties the channel's bucket for a second. In doubt (a read timeout): left "sending"
  with a short lease, so recovery asks the provider before anything is sent again;
- NeedsFallback: a reminder or announcement moves on to the next channel at once; a
  reply cannot (it answers the channel the citizen wrote on): "failed";
- Rejected: "failed" at once, the reason kept (a ZNS refusal falls back to SMS).
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, Queue
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from storage.models import Contact, Outbox
from webhooks.contract import ChannelError, SendResult
from webhooks.http import redact

from .backoff import retry_delay
from .buckets import drain
from .claim import Job, bucket_of, claim, note_attempt, rate_of
from .routing import Means, sms_gateway
from .window import SendWindow

log = logging.getLogger(__name__)
RECORD_EVERY = 0.05     # seconds: outcomes that arrive together are recorded together
DOUBT_SETTLE = timedelta(seconds=15)   # a timed-out send is looked up after this


@dataclass(frozen=True)
class Passed:
    tried: int              # rows sent (whatever the outcome)
    wait: float | None      # a bucket is dry: seconds until it refills


class Sender:
    """The thread pool one worker sends with (made on first use, shut down with it)."""

    def __init__(self, size: int):
        self.size = size
        self.lock = threading.Lock()
        self.pool: ThreadPoolExecutor | None = None

    def submit(self, fn, *args):
        with self.lock:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(self.size, thread_name_prefix="cdht-send")
            return self.pool.submit(fn, *args)

    def close(self) -> None:
        with self.lock:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
                self.pool = None


def means_of(runtime) -> Means:
    zalo = runtime.channels.get("zalo")
    return Means(zalo=zalo is not None,
                 zns_kinds=frozenset(getattr(zalo, "templates", {}) or {}),
                 sms_gateway=sms_gateway(runtime.settings, "bulk"),
                 paid_window=runtime.settings.zalo_paid_window)


def _send(runtime, job: Job):
    channel = runtime.channels.get(job.provider)
    if channel is None:
        return ChannelError(f"no channel for provider {job.provider!r}")
    try:
        return channel.send(job.message)
    except ChannelError as exc:
        log.warning("outbox %s via %s: %s", job.message.outbox_id, job.provider, redact(str(exc)))
        return exc
    except Exception as exc:   # a bug or an unexpected library error: keep the message, retry
        # no traceback: the exception may quote a request URL with its password
        log.error("outbox %s via %s crashed: %s", job.message.outbox_id, job.provider,
                  redact(repr(exc)))
        return exc


def _send_in_turn(runtime, line: list[Job], results: Queue) -> None:
    for job in line:
        results.put((job, _send(runtime, job)))


def dispatch_pass(runtime, now: datetime | None = None, limit: int | None = None) -> Passed:
    """Claim what is due and send it; `now` fixed (tests, `worker --now`) or the clock."""
    clock = (lambda: now) if now is not None else (lambda: datetime.now(timezone.utc))
    start = clock()
    window = SendWindow.parse(runtime.settings.send_window)
    claimed = claim(runtime, start, limit or runtime.settings.send_batch, means_of(runtime),
                    window.is_open(start))
    jobs = claimed.jobs
    if not jobs:
        return Passed(0, claimed.wait)
    if len(jobs) == 1 or runtime.settings.send_concurrency == 1:
        for job in jobs:
            record(runtime, [(job, _send(runtime, job))], clock())
        return Passed(len(jobs), claimed.wait)
    # One task per recipient: a citizen's messages go one after another, in order.
    queues: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        queues.setdefault((job.provider, job.message.address), []).append(job)
    results: Queue = Queue()
    for line in queues.values():
        runtime.sender.submit(_send_in_turn, runtime, line, results)
    waiting, done = len(jobs), []
    last = time.monotonic()
    while waiting:
        try:
            done.append(results.get(timeout=RECORD_EVERY))
            waiting -= 1
        except Empty:
            pass
        if done and (not waiting or time.monotonic() - last >= RECORD_EVERY):
            record(runtime, done, clock())
            done, last = [], time.monotonic()
    return Passed(len(jobs), claimed.wait)


def dispatch_due(runtime, now: datetime | None = None, limit: int | None = None) -> int:
    """One pass; how many messages were tried."""
    return dispatch_pass(runtime, now, limit).tried


def record(runtime, outcomes: list[tuple[Job, object]], now: datetime) -> None:
    """Store a few sends' outcomes in one transaction. A row is updated only while it is
    still this claim's (status "sending", the same attempt): one whose lease ran out and
    that recovery took over is left to it."""
    settings = runtime.settings
    with runtime.db.transaction() as session:
        ids = [job.message.outbox_id for job, _ in outcomes]
        rows = {r.id: r for r in session.scalars(select(Outbox).where(Outbox.id.in_(ids))
                                                 .with_for_update())}
        for job, result in outcomes:
            row = rows.get(job.message.outbox_id)
            if row is None or row.attempts != job.attempts or row.status not in (
                    "sending", "delivered", "failed"):
                log.warning("outbox %s was taken over while it was being sent; its outcome "
                            "is left to recovery", job.message.outbox_id)
                continue
            _apply_outcome(session, settings, row, job, result, now)


def _apply_outcome(session, settings, row: Outbox, job: Job, result, now: datetime) -> None:
    row.updated_at = now
    if isinstance(result, SendResult):
        news = row.status   # a delivery report may have come while we were sending
        row.status = news if news in ("delivered", "failed") else "sent"
        row.sent_at, row.error, row.lease_until = now, None, None
        row.provider_message_id = result.provider_message_id
        note_attempt(session, row, now, "sent", result.provider_message_id)
        return
    error = str(result) if isinstance(result, ChannelError) else repr(result)
    row.error = error
    if isinstance(result, ChannelError) and result.contact and row.contact_id:
        session.get(Contact, row.contact_id).status = result.contact
    retry = not isinstance(result, ChannelError) or result.retry
    if retry and getattr(result, "slow_down", False):
        bucket = bucket_of(row.channel, row.provider)
        drain(session, bucket, rate_of(settings, bucket), now)
    if retry and getattr(result, "in_doubt", False):
        row.lease_until = now + DOUBT_SETTLE   # recovery asks the provider, then decides
        note_attempt(session, row, now, "in_doubt", error)
        return
    if retry:
        hold = getattr(result, "hold", False)
        give_up = not hold and row.attempts >= settings.max_attempts
        row.status = "failed" if give_up else "queued"
        row.lease_until = None
        row.next_attempt_at = now + retry_delay(row.attempts)
        note_attempt(session, row, now, "failed" if give_up else "retry", error)
        return
    row.lease_until = None
    # ZNS refusing a template message (a bad number, the template, the day's quota) is no
    # reason not to try SMS
    if job.bulk and (result.fallback or row.channel == "zns"):
        row.tried = ",".join(filter(None, [row.tried, row.channel]))
        row.status, row.attempts, row.next_attempt_at = "queued", 0, now
        note_attempt(session, row, now, "fallback", error)
        return
    row.status = "failed"
    note_attempt(session, row, now, "unreachable" if result.fallback else "failed", error)

