"""The dispatcher: claim due outbox rows, send each through its provider's channel,
record what happened. Claiming and recording are separate short transactions, so
no database lock is held while a provider is called.

A simple version for the core: rows a dead process left in "sending" are sent again
after five minutes (at least once, never lost); per-channel rate limits, quiet
hours and fallback come with the delivery issue.
"""

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from storage.models import Contact, Outbox
from webhooks.contract import ChannelError, OutboundMessage
from webhooks.http import redact

log = logging.getLogger(__name__)
STALE_SENDING = timedelta(minutes=5)   # a send never takes this long; its process died
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
           timedelta(minutes=30), timedelta(hours=1))


def claim_due(runtime, now: datetime, limit: int) -> list[tuple[str, int, OutboundMessage]]:
    """Due rows, and rows a dead process left in "sending" (sent again: at least once)."""
    with runtime.db.transaction() as session:
        due = (Outbox.status == "queued") & (Outbox.next_attempt_at <= now)
        stale = (Outbox.status == "sending") & (Outbox.updated_at <= now - STALE_SENDING)
        query = (select(Outbox).where(due | stale)
                 .order_by(Outbox.priority.desc(), Outbox.id).limit(limit))
        if not runtime.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for row in session.scalars(query).all():
            row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, now
            contact = session.get(Contact, row.contact_id) if row.contact_id else None
            claimed.append((row.provider, row.attempts, OutboundMessage(
                row.id, row.channel, row.address, row.text, row.kind,
                last_inbound_at=contact.last_inbound_at if contact else None,
                encoding=row.encoding)))
        return claimed


def still_ours(runtime, outbox_id: int, attempts: int, now: datetime) -> bool:
    """Re-confirm a claim just before sending it, and restart its staleness clock: a row
    that waited in a long batch may have been taken over as stale by another worker."""
    with runtime.db.transaction() as session:
        result = session.execute(update(Outbox).where(
            Outbox.id == outbox_id, Outbox.status == "sending", Outbox.attempts == attempts)
            .values(updated_at=now))
        return result.rowcount == 1


def _record(runtime, outbox_id: int, now: datetime, retry: bool = False, hold: bool = False,
            contact: str | None = None, **values) -> None:
    """Store a send's outcome; `retry` queues it again after the backoff for its attempt;
    `contact` is what the provider said about the contact ("not_follower", "blocked")."""
    with runtime.db.transaction() as session:
        # locked: a delivery report for this row may be committing at this very moment
        row = session.get(Outbox, outbox_id, with_for_update=True)
        if contact and row.contact_id:
            session.get(Contact, row.contact_id).status = contact
        news = row.status   # a delivery report may have come while we were sending
        for key, value in values.items():
            setattr(row, key, value)
        if values.get("status") == "sent" and news in ("delivered", "failed"):
            row.status = news
        row.updated_at = now
        if retry:   # `hold`: the fault is ours (no token yet), so the message waits for us
            give_up = not hold and row.attempts >= runtime.settings.max_attempts
            row.status = "failed" if give_up else "queued"
            row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]


def send_one(runtime, provider: str, message: OutboundMessage, now: datetime) -> None:
    channel = runtime.channels.get(provider)
    if channel is None:
        _record(runtime, message.outbox_id, now, status="failed",
                error=f"no channel for provider {provider!r}")
        return
    try:
        result = channel.send(message)
    except ChannelError as exc:
        log.warning("outbox %s via %s: %s", message.outbox_id, provider, redact(str(exc)))
        if exc.retry:
            _record(runtime, message.outbox_id, now, retry=True, hold=exc.hold, error=str(exc))
        else:
            # "needs_fallback": another channel may reach the citizen (delivery issue)
            _record(runtime, message.outbox_id, now, contact=exc.contact, error=str(exc),
                    status="needs_fallback" if exc.fallback else "failed")
        return
    except Exception as exc:  # a bug or an unexpected library error: keep the message, retry
        # no traceback: the exception may quote a request URL with its password
        log.error("outbox %s via %s crashed: %s", message.outbox_id, provider, redact(repr(exc)))
        _record(runtime, message.outbox_id, now, retry=True, error=repr(exc))
        return
    _record(runtime, message.outbox_id, now, status="sent", sent_at=now, error=None,
            provider_message_id=result.provider_message_id)


def dispatch_due(runtime, now: datetime | None = None, limit: int = 20) -> int:
    """Send what is due; returns how many messages were tried."""
    now = now or datetime.now(timezone.utc)
    claimed = claim_due(runtime, now, limit)
    for provider, attempts, message in claimed:
        if still_ours(runtime, message.outbox_id, attempts, now):
            send_one(runtime, provider, message, now)
    return len(claimed)


def queued(session) -> int:
    """Rows waiting to be sent, due or not (for /healthz)."""
    return session.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "queued"))
