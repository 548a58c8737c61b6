"""The webhook's half: take a provider's message safely and fast.

`accept` cleans the message, normalises the sender, and stores it as a pending inbound
event in one short transaction: one INSERT (on PostgreSQL with its NOTIFY in the same
statement; on SQLite into the inbox file, storage/inbox.py), no contact or citizen lock,
no engine, no outbox. A provider's retry hits the unique (provider, external_id) and is
acknowledged without a second row. The processor (queue.py) runs the conversation.
"""

import logging
import re
import weakref
from dataclasses import asdict, replace
from datetime import datetime, timezone

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from flows.phone import to_e164
from storage.models import InboundEvent
from webhooks.contract import InboundMessage, InboundResult
from webhooks.http import mask
from webhooks.registry import SMS_GATEWAYS

from .citizens import sms_phone

log = logging.getLogger(__name__)
NOTIFY_CHANNEL = "cdht_inbound"   # LISTENed to by workers in other processes

# NUL and other control characters: PostgreSQL refuses NUL in text, and none of
# them belongs in a name or an answer; lone surrogates cannot be stored at all.
# Only the text is cleaned: ids and addresses are the provider's to get right.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(message: InboundMessage) -> InboundMessage:
    text = _CONTROL.sub("", message.text).encode("utf-8", "replace").decode("utf-8")
    return replace(message, text=text)


def normalise_address(message: InboundMessage) -> str:
    """SMS senders in E.164 (old eleven-digit numbers converted); a sender that is not a
    Vietnamese phone number (a short code, a brand name) is kept as given (and, from a
    real gateway, not answered)."""
    if message.channel != "sms":
        return message.address
    phone = to_e164(message.address)
    if phone is None:
        log.warning("SMS sender %s via %s is not a usable phone number: not answered",
                    mask(message.address), message.provider)
    return phone or message.address


def prepare(runtime, message: InboundMessage) -> InboundMessage | None:
    """The message cleaned and its sender normalised; None for a sender never answered:
    a short code, a brand name, an operator's robot writing through a real gateway (it
    could cost money or start two robots talking), never a citizen."""
    message = clean(message)
    message = replace(message, address=normalise_address(message))
    if message.provider in SMS_GATEWAYS and sms_phone(message.channel, message.address) is None:
        runtime.host.count(f"{message.provider}.ignored.not_a_phone")
        return None
    return message


def event_values(message: InboundMessage, now: datetime, status: str) -> dict:
    return dict(provider=message.provider, external_id=message.external_id,
                received_at=now, channel=message.channel, address=message.address,
                text=message.text, kind=message.kind,
                attachments=[asdict(a) for a in message.attachments] or None,
                profile=dict(message.profile) or None, sent_at=message.sent_at,
                status=status, attempts=0, next_attempt_at=now)


def notify(session) -> None:
    """Wake the workers of other processes when this transaction commits (PostgreSQL)."""
    if session.bind.dialect.name == "postgresql":
        session.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))


def _insert_statement(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once per dialect: the values
    come as parameters, so the compiled form is reused for every message."""
    table = InboundEvent.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = event_values(InboundMessage("", "", "", "", ""), datetime.now(timezone.utc), "")
    stmt = (insert(table).values({name: bindparam(name) for name in names})
            .on_conflict_do_nothing(index_elements=["provider", "external_id"])
            .returning(table.c.id))
    if dialect == "postgresql":   # wake the workers of other processes, at commit
        inserted = stmt.cte("inserted")
        stmt = select(inserted.c.id, func.pg_notify(NOTIFY_CHANNEL, ""))
    return stmt


_PREPARED = weakref.WeakKeyDictionary()   # Database → its prepared acknowledgement


def _statement(db):
    if db not in _PREPARED:
        _PREPARED[db] = db.prepared(_insert_statement(db.engine.dialect.name))
    return _PREPARED[db]


def accept(runtime, message: InboundMessage, now: datetime | None = None) -> InboundResult:
    """Store the message as a pending event; answer whether it was a repeat."""
    now = now or datetime.now(timezone.utc)
    message = prepare(runtime, message)
    if message is None:
        return InboundResult(duplicate=False)
    values = event_values(message, now, "pending")
    if runtime.inbox is not None:   # SQLite: a file of its own, never waiting for processing
        stored = not runtime.inbox.seen(message.provider, message.external_id) \
            and runtime.inbox.add(values)
    else:
        stored = _statement(runtime.db)(values) is not None
    if not stored:
        log.info("duplicate %s message %s ignored", message.provider, mask(message.external_id))
        return InboundResult(duplicate=True)
    runtime.doorbell.ring()   # PostgreSQL's workers heard the NOTIFY at commit
    return InboundResult(duplicate=False)
