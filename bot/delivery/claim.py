"""Taking due outbox rows under a lease, in one short transaction:

1. the due rows in the order they go: replies first (priority), then the oldest due;
   outside the send window only replies (quiet hours hold the rest where they are);
   on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several workers take disjoint batches;
2. a reminder or announcement is routed now (routing.py) and its citizen's consent
   checked now: an opted-out citizen's row is cancelled, an unreachable one failed;
3. tokens are taken from each channel's bucket; rows that get none stay queued, untouched;
4. the rest become "sending", with a lease: if this worker dies, the sweeper
   (recovery.py) finds them when the lease ends.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from messages_vi.gsm import segments
from storage.models import Citizen, Contact, DeliveryAttempt, Outbox
from webhooks.contract import OutboundMessage
from webhooks.http import redact

from .buckets import available, take
from .routing import Means, Reach, Route, choose

REPLY_PRIORITY = 10   # replies; everything below waits for the send window


@dataclass(frozen=True)
class Job:
    """One claimed row, as the sender needs it."""
    provider: str
    attempts: int        # the claim's attempt number: the row is still ours if it matches
    bulk: bool           # a reminder or announcement (routed, may fall back)
    priority: int
    message: OutboundMessage


@dataclass(frozen=True)
class Claimed:
    jobs: list[Job]
    wait: float | None   # seconds until a token frees up, when a bucket ran dry


def bucket_of(channel: str, provider: str) -> str:
    return "zns" if channel == "zns" else provider


def rate_of(settings, bucket: str) -> float:
    return float(getattr(settings, f"rate_{bucket}", 0.0) or 0.0)


def reach_of(session, citizen_ids) -> dict[int, tuple[Citizen, Reach]]:
    """Each citizen and how they can be reached, in two queries."""
    citizens = {c.id: c for c in session.scalars(select(Citizen).where(Citizen.id.in_(citizen_ids)))}
    contacts = session.scalars(select(Contact).where(
        Contact.citizen_id.in_(citizen_ids), Contact.status == "active")
        .order_by(Contact.last_inbound_at.desc().nulls_last(), Contact.id.desc())).all()
    found = {}
    for citizen_id, citizen in citizens.items():
        mine = [c for c in contacts if c.citizen_id == citizen_id]
        zalo = next((c for c in mine if c.channel == "zalo"), None)
        sms = next((c for c in mine if c.channel == "sms"), None)
        phone = citizen.phone if citizen.phone and citizen.phone_verified else (
            sms.address if sms else None)
        found[citizen_id] = (citizen, Reach(
            zalo=zalo.address if zalo else None, zalo_contact=zalo.id if zalo else None,
            zalo_last_inbound=zalo.last_inbound_at if zalo else None, phone=phone))
    return found


def why_not_send(citizen: Citizen | None) -> str | None:
    """Checked when sending, not only when planning: consent can change in between."""
    if citizen is None:
        return "the citizen's data was deleted"
    if citizen.opted_out:
        return "opted out of announcements (HUY)"
    if citizen.consent is False:
        return "refused consent"
    return None


def _apply(row: Outbox, route: Route, reach: Reach) -> None:
    row.channel, row.provider, row.address, row.route = (
        route.channel, route.provider, route.address, route.reason)
    row.contact_id = reach.zalo_contact if route.channel == "zalo" else None
    body = row.sms_text or row.text if route.channel == "sms" else row.text
    seg = segments(body)
    row.segments, row.encoding = seg.count, seg.encoding


def note_attempt(session, row: Outbox, now: datetime, outcome: str, detail: str | None) -> None:
    """One try at a row, as an officer will read it (numbers masked, secrets emptied)."""
    session.add(DeliveryAttempt(outbox_id=row.id, at=now, channel=row.channel,
                                provider=row.provider, outcome=outcome,
                                detail=redact(detail)[:1000] if detail else None))


def _outcome(session, row: Outbox, now: datetime, status: str, error: str, outcome: str) -> None:
    row.status, row.error, row.updated_at, row.lease_until = status, error, now, None
    note_attempt(session, row, now, outcome, error)


def buckets_in_use(runtime) -> dict[str, float]:
    """Every bucket a claimed row may draw from, with its rate."""
    names = set(runtime.channels) | ({"zns"} if "zalo" in runtime.channels else set())
    return {name: rate_of(runtime.settings, name) for name in names}


def claim(runtime, now: datetime, limit: int, means: Means, window_open: bool) -> Claimed:
    settings = runtime.settings
    with runtime.db.transaction() as session:
        tokens, refilled = available(session, buckets_in_use(runtime), now)
        if tokens is not None:   # every channel is rate-limited: claim what may go now
            if tokens < 1:
                return Claimed([], refilled)
            limit = min(limit, tokens)
        query = (select(Outbox).where(Outbox.status == "queued", Outbox.next_attempt_at <= now)
                 .order_by(Outbox.priority.desc(), Outbox.next_attempt_at, Outbox.id).limit(limit))
        if not window_open:
            query = query.where(Outbox.priority >= REPLY_PRIORITY)
        if not runtime.db.is_sqlite:   # several workers (one on SQLite: neither is needed)
            # a recipient's next message waits while an earlier one is out with another
            # worker: their messages arrive in order
            earlier = aliased(Outbox)
            query = query.where(~exists().where(
                earlier.status == "sending", earlier.address == Outbox.address,
                earlier.provider == Outbox.provider, earlier.id < Outbox.id))
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        bulk_ids = {r.citizen_id for r in rows if r.kind != "reply" and r.citizen_id}
        reach = reach_of(session, bulk_ids) if bulk_ids else {}
        contact_ids = {r.contact_id for r in rows if r.kind == "reply" and r.contact_id}
        last_inbound = dict(session.execute(select(Contact.id, Contact.last_inbound_at)
                                            .where(Contact.id.in_(contact_ids))).all()) \
            if contact_ids else {}
        ready: dict[str, list[tuple[Outbox, Route | None, Reach | None]]] = {}
        for row in rows:
            if row.kind == "reply":
                ready.setdefault(bucket_of(row.channel, row.provider), []).append((row, None, None))
                continue
            citizen, their_reach = reach.get(row.citizen_id, (None, Reach()))
            refusal = why_not_send(citizen)
            if refusal:
                _outcome(session, row, now, "cancelled", refusal, "cancelled")
                continue
            route = choose(row.kind, their_reach, means, now, row.tried.split(","))
            if route.channel is None:
                row.route = route.reason
                _outcome(session, row, now, "failed", route.reason, "unreachable")
                continue
            ready.setdefault(bucket_of(route.channel, route.provider), []).append(
                (row, route, their_reach))
        jobs, waits = [], []
        lease = now + timedelta(seconds=settings.send_lease)
        for bucket, entries in ready.items():
            granted, wait = take(session, bucket, rate_of(settings, bucket), len(entries), now)
            if granted < len(entries):
                waits.append(wait)
            for row, route, their_reach in entries[:granted]:
                if route is not None:
                    _apply(row, route, their_reach)
                row.status, row.attempts, row.lease_until, row.updated_at = (
                    "sending", row.attempts + 1, lease, now)
                jobs.append(_job(row, their_reach, last_inbound.get(row.contact_id)))
        jobs.sort(key=lambda job: (-job.priority, job.message.outbox_id))
        return Claimed(jobs, min(waits) if waits else None)


def _job(row: Outbox, reach: Reach | None, last_inbound: datetime | None) -> Job:
    bulk = row.kind != "reply"
    text = (row.sms_text or row.text) if row.channel == "sms" else row.text
    message = OutboundMessage(
        row.id, row.channel, row.address, text, row.kind,
        last_inbound_at=reach.zalo_last_inbound if bulk and reach else last_inbound,
        encoding=row.encoding, template=row.template_data if row.channel == "zns" else None)
    return Job(row.provider, row.attempts, bulk, row.priority, message)


def message_of(row: Outbox, last_inbound: datetime | None = None) -> OutboundMessage:
    """The message a row sends, as it stands (for recovery)."""
    return _job(row, None, last_inbound).message
