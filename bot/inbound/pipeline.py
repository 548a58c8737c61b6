"""The conversation's half: run one inbound message through the bot, inside the caller's
transaction.

`handle` (called by the processor for a queued event, and by `receive` inline):
1. lock the contact (PostgreSQL: SELECT … FOR UPDATE; SQLite: the immediate transaction);
2. lock the citizen, load their state, run the engine, carry out its effects;
3. render every Send into an outbox row; save the position.
Nothing is sent here: the dispatcher reads the outbox after commit.

`receive` is the inline path for the console and `flask chat`: it records the event as
processed and handles it in one transaction, and returns the replies.
"""

import logging
from datetime import datetime, timezone

from sqlalchemy import select, update

from flows import effects as fx
from flows.engine import Inbound, step
from messages_vi.gsm import segments
from messages_vi.render import TIMEZONE, Recipient
from storage.db import insert_for
from storage.models import Contact, InboundEvent, Outbox
from webhooks.contract import InboundMessage, InboundResult, Reply
from webhooks.registry import SMS_GATEWAYS

from ..conversation import Effects, load_state
from ..delivery.claim import REPLY_PRIORITY
from ..delivery.routing import sms_gateway
from .accept import event_values, prepare
from .citizens import citizen_for, join, phone_owner, sms_phone
from .prefetch import Prefetched

log = logging.getLogger(__name__)


def lock_contact(session, channel: str, address: str, now: datetime, cache=None) -> Contact:
    found = cache.contact(channel, address) if cache else None
    if found is not None:   # created and locked with the batch's others
        return found
    session.execute(insert_for(session)(Contact)
                    .values(channel=channel, address=address, created_at=now)
                    .on_conflict_do_nothing(index_elements=["channel", "address"]))
    return session.scalars(select(Contact).where(Contact.channel == channel,
                                                 Contact.address == address)
                           .with_for_update()).one()


def reply_provider(settings, message: InboundMessage) -> str:
    """Replies go back the way the message came, unless CDHT_SMS_REPLY_GATEWAY picks
    another SMS gateway for replies."""
    if message.channel == "sms" and message.provider in SMS_GATEWAYS:
        return sms_gateway(settings, "reply") or message.provider
    return message.provider


def queue_replies(runtime, session, sends, recipient: Recipient, message: InboundMessage,
                  contact: Contact, event_id: int, now: datetime) -> list[Reply]:
    """Each Send rendered for the channel and the citizen, as an outbox row."""
    replies = []
    provider = reply_provider(runtime.settings, message)
    channel = runtime.channels.get(provider)   # None: the dispatcher will say so
    for i, send in enumerate(sends):
        rendered = runtime.catalog.render(send.key, send.params, message.channel, recipient)
        for part_no, text in enumerate(channel.parts(rendered) if channel else [rendered]):
            seg = segments(text)
            session.add(Outbox(
                contact_id=contact.id, channel=message.channel, provider=provider,
                address=contact.address, text=text, segments=seg.count, encoding=seg.encoding,
                kind="reply", priority=REPLY_PRIORITY, status="queued", next_attempt_at=now,
                dedup_key=f"reply:{event_id}:{i}:{part_no}", created_at=now, updated_at=now))
            replies.append(Reply(text, seg.count, seg.encoding))
    return replies


def stop_contact(session, contact: Contact, status: str, now: datetime) -> None:
    """The channel can no longer reach this contact: remember why, and cancel what waits."""
    contact.status = status
    session.execute(update(Outbox).where(Outbox.contact_id == contact.id, Outbox.status == "queued")
                    .values(status="cancelled", error=f"contact {status}", updated_at=now))


def handle(runtime, session, message: InboundMessage, event_id: int, now: datetime,
           cache: Prefetched | None = None) -> tuple[int, list[Reply]]:
    """Run one message (its address already normalised) through the bot; `now` is when it
    arrived; `cache`: the batch's bulk-loaded rows. Returns the contact's id and the
    replies queued."""
    contact = lock_contact(session, message.channel, message.address, now, cache)
    if message.kind == "unfollow":
        stop_contact(session, contact, "unfollowed", now)
        return contact.id, []
    contact.last_inbound_at, contact.status = now, "active"
    citizen, linked = citizen_for(session, contact, now, cache)
    rows = None
    if cache is not None and cache.locked(citizen):
        rows = cache.state_rows(citizen)
        cache.forget(citizen.id)   # this citizen's next event in the batch reads afresh
    else:
        # A citizen may write on two channels at once: lock their row too, and re-read it
        # (another channel's message may have changed it while we waited).
        session.refresh(citizen, with_for_update=True)
    state, convo, assessment = load_state(session, citizen, now, rows)
    inbound = Inbound(message.text, message.channel, phone=sms_phone(message.channel, message.address),
                      kind=message.kind, shared=message.profile)
    script = runtime.script()
    new_state, effects = step(script, state, inbound, now)
    if linked:
        effects.insert(0, fx.Send("contact.linked", {"channel": message.channel}))
    performer = Effects(session, citizen, contact, now, assessment, message)
    sends = []
    for effect in effects:
        performer.apply(effect)
        if isinstance(effect, fx.Send):
            sends.append(effect)
    if not performer.deleted:
        convo.position = new_state.position.to_json()
        convo.updated_at = now
    owner = phone_owner(session, citizen, effects) if message.kind == "profile" else None
    if owner is not None:   # Zalo confirmed a number a registered citizen already has
        citizen, new_state, sends = join(session, script, citizen, owner, message, now)
    # Address the citizen as they were known, even in the reply confirming deletion.
    known = state.profile if performer.deleted else new_state.profile
    recipient = Recipient(known.birth_year, known.target_group in runtime.pupil_groups(),
                          now.astimezone(TIMEZONE).year)
    replies = queue_replies(runtime, session, sends, recipient, message, contact, event_id, now)
    return contact.id, replies


def receive(runtime, message: InboundMessage, now: datetime | None = None) -> InboundResult:
    """Record and handle a message in one transaction, now (the console, `flask chat`)."""
    now = now or datetime.now(timezone.utc)
    message = prepare(runtime, message)
    if message is None:
        return InboundResult(duplicate=False)
    with runtime.db.transaction() as session:
        values = event_values(message, now, "processed") | {"processed_at": now}
        event_id = session.execute(
            insert_for(session)(InboundEvent).values(values)
            .on_conflict_do_nothing(index_elements=["provider", "external_id"])
            .returning(InboundEvent.id)).scalar()
        if event_id is None:
            log.info("duplicate %s message ignored", message.provider)
            return InboundResult(duplicate=True)
        contact_id, replies = handle(runtime, session, message, event_id, now)
        session.execute(update(InboundEvent).where(InboundEvent.id == event_id)
                        .values(contact_id=contact_id))
    if replies:
        runtime.outbox_waiting.set()
    return InboundResult(duplicate=False, replies=tuple(replies))
