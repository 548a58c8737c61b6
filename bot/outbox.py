"""The dispatcher: claim due outbox rows, send each through its provider's channel,
record what happened. Claiming and recording are separate short transactions, so
no database lock is held while a provider is called.

A simple version for the core; per-channel rate limits, fallback and recovery of
rows left in "sending" by a dead process come with the delivery issue.
"""

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from storage.models import Outbox
from webhooks.contract import ChannelError, OutboundMessage

log = logging.getLogger(__name__)
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
           timedelta(minutes=30), timedelta(hours=1))


def claim_due(runtime, now: datetime, limit: int) -> list[tuple[str, OutboundMessage]]:
    with runtime.db.transaction() as session:
        query = (select(Outbox).where(Outbox.status == "queued", Outbox.next_attempt_at <= now)
                 .order_by(Outbox.priority.desc(), Outbox.id).limit(limit))
        if not runtime.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for row in session.scalars(query):
            row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, now
            claimed.append((row.provider, OutboundMessage(row.id, row.channel, row.address,
                                                          row.text, row.kind)))
        return claimed


def _record(runtime, outbox_id: int, now: datetime, **values) -> None:
    with runtime.db.transaction() as session:
        row = session.get(Outbox, outbox_id)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = now
        if values.get("status") in ("queued", "failed") and row.attempts >= runtime.settings.max_attempts:
            row.status = "failed"


def send_one(runtime, provider: str, message: OutboundMessage, now: datetime) -> None:
    channel = runtime.channels.get(provider)
    if channel is None:
        _record(runtime, message.outbox_id, now, status="failed",
                error=f"no channel for provider {provider!r}")
        return
    try:
        result = channel.send(message)
    except ChannelError as exc:
        log.warning("outbox %s via %s: %s", message.outbox_id, provider, exc)
        if exc.retry:
            with runtime.db.transaction() as session:
                attempts = session.get(Outbox, message.outbox_id).attempts
            delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
            _record(runtime, message.outbox_id, now, status="queued", error=str(exc),
                    next_attempt_at=now + delay)
        else:
            _record(runtime, message.outbox_id, now, status="failed", error=str(exc))
        return
    except Exception as exc:  # a bug or an unexpected library error: keep the message, retry
        log.exception("outbox %s via %s crashed", message.outbox_id, provider)
        _record(runtime, message.outbox_id, now, status="queued", error=repr(exc),
                next_attempt_at=now + BACKOFF[0])
        return
    _record(runtime, message.outbox_id, now, status="sent", sent_at=now, error=None,
            provider_message_id=result.provider_message_id)


def dispatch_due(runtime, now: datetime | None = None, limit: int = 100) -> int:
    """Send what is due; returns how many messages were tried."""
    now = now or datetime.now(timezone.utc)
    claimed = claim_due(runtime, now, limit)
    for provider, message in claimed:
        send_one(runtime, provider, message, now)
    return len(claimed)
