"""Broadcasts: an officer's announcement to a unit's subtree.

`create` stores it; when its time comes (`plan`, at once or by the scheduler's
"broadcasts" job) one INSERT … SELECT writes an outbox row per recipient, keyed
"broadcast:<id>:<citizen>", in the same transaction that marks it planned — half a plan
is never visible, and planning again adds nothing. No citizen row passes through
Python: 565,625 recipients cost the database's time, not the worker's memory.

A text with placeholders ({xung_ho}, {tien_do}: messages_vi/personal.py) is rendered per
recipient by SQL expressions in the same statement (personalised.py).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, String, cast, func, literal, select, true, update

from messages_vi.gsm import segments, to_gsm
from messages_vi.personal import is_personal, unknown_fields
from storage.db import insert_for
from storage.models import Broadcast, Outbox, Unit

from . import BROADCAST_PRIORITY
from .personalised import joined, personal_columns
from .recipients import CHANNELS, STATUSES, targeted


class BroadcastError(ValueError):
    pass


@dataclass(frozen=True)
class Created:
    broadcast: Broadcast
    recipients: int          # planned, or targeted now for a scheduled one
    existing: bool = False   # the same key was used before: nothing new was made


def sms_form(text: str) -> str:
    """The SMS form of a Vietnamese text: without diacritics, one line (GSM-7)."""
    return " ".join(to_gsm(text).split())


def targeted_by(broadcast: Broadcast, now: datetime):
    """The SELECT of a broadcast's recipients' ids."""
    weak = tuple(broadcast.course.indicators) if broadcast.weak_only and broadcast.course else ()
    return targeted(broadcast.unit, broadcast.target_group, broadcast.assessment, now,
                    broadcast.channel, weak)


def create(session, unit_code: str, text: str, now: datetime, sms_text: str | None = None,
           group: str | None = None, status: str = "all", at: datetime | None = None,
           created_by: str | None = None, key: str | None = None, runtime=None,
           channel: str | None = None, campaign_id: int | None = None,
           course_id: int | None = None, weak_only: bool = False,
           estimate: dict | None = None, plan_now: bool = True) -> Created:
    """Store a broadcast, and plan it now unless `at` is later. `key`: the client's own
    name for this request (a form's token): the same key twice makes one broadcast.
    `runtime` renders placeholders ({xung_ho}…); without it a text must have none.
    `plan_now` False leaves a broadcast due now to the scheduler's "broadcasts" job (the
    console does so for a big one, rather than hold a web request for many seconds)."""
    text = text.strip()
    if not text:
        raise BroadcastError("the text is empty")
    if status not in STATUSES:
        raise BroadcastError(f"status must be one of {', '.join(STATUSES)}")
    if channel and channel not in CHANNELS:
        raise BroadcastError(f"channel must be one of {', '.join(CHANNELS)}")
    for form in (text, sms_text or ""):
        if unknown := unknown_fields(form):
            raise BroadcastError("unknown placeholders: " + ", ".join("{%s}" % u for u in unknown))
    if runtime is None and is_personal(text, sms_text or ""):
        raise BroadcastError("placeholders need the runtime to render them")
    if key:
        earlier = session.scalars(select(Broadcast).where(Broadcast.request_key == key)).first()
        if earlier is not None:
            return Created(earlier, earlier.planned or 0, existing=True)
    unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
    if unit is None:
        raise BroadcastError(f"no unit {unit_code!r} (flask --app wsgi units list)")
    broadcast = Broadcast(unit=unit, text=text, sms_text=(sms_text or sms_form(text)).strip(),
                          target_group=group or None, assessment=status, state="scheduled",
                          send_at=at or now, created_by=created_by, created_at=now,
                          request_key=key, channel=channel or None, campaign_id=campaign_id,
                          course_id=course_id, weak_only=weak_only, estimate=estimate)
    session.add(broadcast)
    session.flush()
    if broadcast.send_at <= now and plan_now:
        return Created(broadcast, plan(session, broadcast, now, runtime))
    count = session.scalar(select(func.count()).select_from(
        targeted_by(broadcast, now).subquery()))
    return Created(broadcast, count)


def _is_sqlite(session) -> bool:
    return session.bind.dialect.name == "sqlite"


def plan(session, broadcast: Broadcast, now: datetime, runtime=None) -> int:
    """Write its outbox rows (those not written yet) and mark it planned; returns how many
    recipients it has."""
    if broadcast.state != "scheduled":
        return broadcast.planned or 0
    recipients = targeted_by(broadcast, now).subquery()
    seg = segments(broadcast.sms_text)
    columns = {
        "citizen_id": recipients.c.id, "broadcast_id": literal(broadcast.id),
        "channel": literal("auto"), "provider": literal("auto"), "address": literal(""),
        "text": literal(broadcast.text), "sms_text": literal(broadcast.sms_text),
        # PostgreSQL needs the cast to type a bare parameter; SQLite's CAST AS JSON would
        # give it numeric affinity (0)
        "template_data": literal({"message": broadcast.sms_text}, JSON) if _is_sqlite(session)
        else cast(literal({"message": broadcast.sms_text}, JSON), JSON),
        "segments": literal(seg.count), "encoding": literal(seg.encoding),
        "kind": literal("broadcast"), "priority": literal(BROADCAST_PRIORITY),
        "status": literal("queued"), "attempts": literal(0), "next_attempt_at": literal(now, Outbox.next_attempt_at.type),
        "tried": literal(""),
        "dedup_key": literal(f"broadcast:{broadcast.id}:") + cast(recipients.c.id, String),
        "created_at": literal(now, Outbox.created_at.type),
        "updated_at": literal(now, Outbox.updated_at.type),
    }
    source = select(*columns.values())
    if is_personal(broadcast.text, broadcast.sms_text):
        if runtime is None:
            raise BroadcastError("placeholders need the runtime to render them")
        personal = personal_columns(runtime, broadcast, now)
        columns |= personal
        json_of = func.json_object if _is_sqlite(session) else func.json_build_object
        columns["template_data"] = json_of("message", personal["sms_text"], type_=JSON)
        source = select(*columns.values()).select_from(joined(recipients, now))
    # "WHERE true": SQLite reads "SELECT … FROM x ON CONFLICT" as a join's ON without it
    session.execute(insert_for(session)(Outbox).from_select(
        list(columns), source.where(true())).on_conflict_do_nothing(
        index_elements=["dedup_key"]))
    return _planned(session, broadcast, now)


def _planned(session, broadcast: Broadcast, now: datetime) -> int:
    planned = session.scalar(select(func.count()).select_from(Outbox)
                             .where(Outbox.broadcast_id == broadcast.id))
    broadcast.state, broadcast.planned, broadcast.planned_at = "planned", planned, now
    return planned


def plan_due(runtime, now: datetime) -> int:
    """The scheduler's job: plan every scheduled broadcast whose time has come."""
    total = 0
    with runtime.db.read() as session:
        due = session.scalars(select(Broadcast.id).where(
            Broadcast.state == "scheduled", Broadcast.send_at <= now)).all()
    for broadcast_id in due:   # one transaction each: a big one does not hold up the rest
        with runtime.db.transaction() as session:
            broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
            total += plan(session, broadcast, now, runtime) if broadcast.state == "scheduled" else 0
    return total


def cancel(session, broadcast_id: int, now: datetime) -> int:
    """Stop what has not gone; returns how many messages will not be sent."""
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    broadcast.state, broadcast.cancelled_at = "cancelled", now
    return session.execute(update(Outbox).where(
        Outbox.broadcast_id == broadcast_id, Outbox.status == "queued")
        .values(status="cancelled", error="broadcast cancelled", updated_at=now)).rowcount


# an outbox row's statuses, in the order they are shown (command line, console)
STATUS_ORDER = ("queued", "sending", "sent", "delivered", "failed", "cancelled")


def progress(session, broadcast_id: int) -> dict[str, dict[str, int]]:
    """{channel: {status: count}}; "auto" is the channel of rows not yet routed."""
    if session.get(Broadcast, broadcast_id) is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    counts: dict[str, dict[str, int]] = {}
    for channel, status, count in session.execute(
            select(Outbox.channel, Outbox.status, func.count()).where(
                Outbox.broadcast_id == broadcast_id).group_by(Outbox.channel, Outbox.status)):
        counts.setdefault(channel, {})[status] = count
    return counts
