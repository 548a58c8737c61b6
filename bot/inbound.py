"""The inbound pipeline: one message, one transaction.

1. lock the contact (PostgreSQL: SELECT … FOR UPDATE; SQLite: the immediate transaction);
2. record the inbound event; a (provider, external_id) seen before → acknowledge, change nothing;
3. lock the citizen, load their state, run the engine, carry out its effects;
4. render every Send into an outbox row; save the position; commit.
Nothing is sent here: the dispatcher reads the outbox after commit.
"""

import logging
import re
from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from flows import effects as fx
from flows.engine import Inbound, step
from flows.phone import to_e164
from messages_vi.gsm import segments
from messages_vi.render import TIMEZONE, Recipient
from storage.models import Answer, Assessment, Citizen, Contact, InboundEvent, Outbox
from webhooks.contract import InboundMessage, InboundResult, Reply
from webhooks.registry import PROVIDERS, SMS_GATEWAYS

from .conversation import Effects, load_state

log = logging.getLogger(__name__)
REPLY_PRIORITY = 10


def _insert(session):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


# NUL and other control characters: PostgreSQL refuses NUL in text, and none of
# them belongs in a name or an answer; lone surrogates cannot be stored at all.
# Only the text is cleaned: ids and addresses are the provider's to get right.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(message: InboundMessage) -> InboundMessage:
    text = _CONTROL.sub("", message.text).encode("utf-8", "replace").decode("utf-8")
    return replace(message, text=text)


def sms_phone(channel: str, address: str) -> str | None:
    """The sender's own number, when the channel proves it (an SMS from a real number)."""
    return address if channel == "sms" and to_e164(address) == address else None


def normalise_address(message: InboundMessage) -> str:
    """SMS senders in E.164 (old eleven-digit numbers converted); a sender that is not a
    Vietnamese phone number (a short code, a brand name) is kept as given (and, from a
    real gateway, not answered)."""
    if message.channel != "sms":
        return message.address
    phone = to_e164(message.address)
    if phone is None:
        log.warning("SMS sender %r via %s is not a usable phone number: not answered",
                    message.address, message.provider)
    return phone or message.address


def record_event(session, message: InboundMessage, contact_id: int, now: datetime) -> int | None:
    """The new event's id, or None when this provider already delivered this message."""
    stmt = (_insert(session)(InboundEvent)
            .values(provider=message.provider, external_id=message.external_id,
                    contact_id=contact_id, received_at=now)
            .on_conflict_do_nothing(index_elements=["provider", "external_id"])
            .returning(InboundEvent.id))
    return session.execute(stmt).scalar()


def lock_contact(session, channel: str, address: str, now: datetime) -> Contact:
    session.execute(_insert(session)(Contact)
                    .values(channel=channel, address=address, created_at=now)
                    .on_conflict_do_nothing(index_elements=["channel", "address"]))
    return session.scalars(select(Contact).where(Contact.channel == channel,
                                                 Contact.address == address)
                           .with_for_update()).one()


def citizen_for(session, contact: Contact, now: datetime) -> tuple[Citizen, bool]:
    """The contact's citizen; a new SMS number joins the citizen registered with it."""
    if contact.citizen is not None:
        return contact.citizen, False
    phone = sms_phone(contact.channel, contact.address)
    if phone:
        owners = session.scalars(select(Citizen).where(Citizen.phone == phone,
                                                       Citizen.phone_verified.is_(True),
                                                       Citizen.registered_at.is_not(None))
                                 .limit(2)).all()
        if len(owners) == 1:
            contact.citizen = owners[0]
            return owners[0], True
    # The number is the citizen's only once they consent (the engine saves it then).
    citizen = Citizen(created_at=now, opted_out=False)
    session.add(citizen)
    contact.citizen = citizen
    session.flush()
    return citizen, False


def phone_owner(session, citizen: Citizen, effects) -> Citizen | None:
    """Another registered citizen with the phone Zalo just confirmed for this one."""
    phones = [e.changes["phone"] for e in effects
              if isinstance(e, fx.SaveProfile) and e.changes.get("phone")]
    if not phones:
        return None
    owners = session.scalars(select(Citizen).where(
        Citizen.phone == phones[-1], Citizen.id != citizen.id, Citizen.phone_verified.is_(True),
        Citizen.registered_at.is_not(None)).limit(2)).all()
    if len(owners) != 1 or session.scalar(       # never two candidates, never lose answers
            select(func.count()).select_from(Answer).join(Assessment)
            .where(Assessment.citizen_id == citizen.id)):
        return None
    return owners[0]


def join(session, script, citizen: Citizen, owner: Citizen, message: InboundMessage,
         now: datetime):
    """Move this citizen's contacts to `owner` (known by the same phone, confirmed by
    Zalo), drop the newer record, and tell the citizen where they are."""
    log.info("citizen %s joins citizen %s by a Zalo-confirmed phone", citizen.id, owner.id)
    session.execute(update(Contact).where(Contact.citizen_id == citizen.id)
                    .values(citizen_id=owner.id))
    session.flush()
    session.execute(delete(Citizen).where(Citizen.id == citizen.id))
    session.expire_all()
    owner = session.get(Citizen, owner.id, with_for_update=True)   # its own SMS may be in flight
    state, convo, _ = load_state(session, owner)
    new_state, effects = step(script, state, Inbound("", message.channel, kind="linked"), now)
    convo.position, convo.updated_at = new_state.position.to_json(), now
    return owner, new_state, [e for e in effects if isinstance(e, fx.Send)]


def sms_gateway(settings, kind: str) -> str | None:
    """Which SMS gateway sends a message of `kind`: CDHT_SMS_REPLY_GATEWAY or
    CDHT_SMS_BULK_GATEWAY, else the only one configured (None: none, or several)."""
    chosen = settings.sms_reply_gateway if kind == "reply" else settings.sms_bulk_gateway
    if chosen:
        return chosen
    configured = [name for name in SMS_GATEWAYS if PROVIDERS[name].configured(settings)]
    return configured[0] if len(configured) == 1 else None


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


def receive(runtime, message: InboundMessage, now: datetime | None = None) -> InboundResult:
    now = now or datetime.now(timezone.utc)
    message = clean(message)
    script = runtime.script()
    address = normalise_address(message)
    if message.provider in SMS_GATEWAYS and sms_phone(message.channel, address) is None:
        # a short code, a brand name, an operator's robot: never answered (it could cost
        # money or start two robots talking), never a citizen
        runtime.host.count(f"{message.provider}.ignored.not_a_phone")
        return InboundResult(duplicate=False)
    with runtime.db.transaction() as session:
        contact = lock_contact(session, message.channel, address, now)
        event_id = record_event(session, message, contact.id, now)
        if event_id is None:
            log.info("duplicate %s message %s ignored", message.provider, message.external_id)
            return InboundResult(duplicate=True)
        if message.kind == "unfollow":
            stop_contact(session, contact, "unfollowed", now)
            return InboundResult(duplicate=False)
        contact.last_inbound_at, contact.status = now, "active"
        citizen, linked = citizen_for(session, contact, now)
        # A citizen may write on two channels at once: lock their row too, and re-read it
        # (another channel's message may have changed it while we waited).
        session.refresh(citizen, with_for_update=True)
        state, convo, assessment = load_state(session, citizen)
        inbound = Inbound(message.text, message.channel, phone=sms_phone(message.channel, address),
                          kind=message.kind, shared=message.profile)
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
    if replies:
        runtime.outbox_waiting.set()
    return InboundResult(duplicate=False, replies=tuple(replies))
