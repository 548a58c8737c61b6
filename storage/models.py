"""The tables. Times are stored in UTC and come back timezone-aware.

Who owns what: a citizen has contacts (one per channel address), one
conversation session, an assessment per period with its answers, and consent
records. Deleting a citizen deletes their session, assessments and answers;
contacts, consent records and outbox rows stay, detached, so an opt-out is
still honoured and the outbox still tells what was sent.
"""

import unicodedata
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import Base
# the console's accounts and audit log live in accounts.py; they are part of the schema
from .accounts import AuditEntry, Officer  # noqa: F401  (re-exported)
from .campaigns import Campaign  # noqa: F401  (re-exported)
from .snapshots import FigureSnapshot  # noqa: F401  (re-exported)


class Unit(Base):
    """A node of the unit tree: province, commune/ward, Hội branch... of any depth."""
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(String(500), index=True)  # "/33/12364/": subtree = LIKE prefix
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joinable: Mapped[bool] = mapped_column(Boolean, default=True)  # citizens register here
    help_name: Mapped[str | None] = mapped_column(String(200))
    help_phone: Mapped[str | None] = mapped_column(String(32))
    # The official code of the commune or ward it is (GSO, as in vietnam-provinces:
    # "13192"), which maps the names communes had before the 2025 merger onto it.
    admin_code: Mapped[str | None] = mapped_column(String(16), index=True)
    # merged into another unit (bot/units/reshape.py): inactive, its people moved there
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    parent: Mapped["Unit | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])


def fold_name(name: str | None) -> str | None:
    """"Nguyễn Thị Lan" → "nguyen thi lan": what accent-insensitive search compares."""
    if name is None:
        return None
    bare = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in bare if not unicodedata.combining(c)).lower().split())


class Citizen(Base):
    __tablename__ = "citizens"
    # the console's citizen list: ordered by name then id, searched by name
    __table_args__ = (Index("ix_citizens_name", "name_folded", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    name_folded: Mapped[str | None] = mapped_column(String(100))   # fold_name(name), for search
    birth_year: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    target_group: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    # proven by the channel (an SMS from it, Zalo's confirmation); only these link contacts
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    consent: Mapped[bool | None] = mapped_column(Boolean)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    unit: Mapped[Unit | None] = relationship()
    contacts: Mapped[list["Contact"]] = relationship(back_populates="citizen",
                                                      passive_deletes=True)

    @validates("name")
    def _fold(self, _key, name):
        self.name_folded = fold_name(name)
        return name


class Contact(Base):
    """One address on one channel ("zalo" user id, "sms" E.164 number)."""
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="SET NULL"), index=True)
    last_inbound_at: Mapped[datetime | None]
    # "active", or why the channel cannot reach it: "unfollowed", "not_follower", "blocked"
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime]
    citizen: Mapped[Citizen | None] = relationship(back_populates="contacts")


class ConversationSession(Base):
    __tablename__ = "conversation_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), unique=True)
    position: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


PENDING = sql("status = 'pending'")   # the queue's indexes hold only what waits
FAILED = sql("status = 'failed'")


class InboundEvent(Base):
    """One message a provider delivered, and the queue of what is still to be processed.

    The webhook inserts it "pending" with everything processing needs and answers; a
    processor (bot/inbound/queue.py) runs the conversation and marks it "processed" in
    the same transaction, or after a few failed tries "failed" (parked, `error` kept).
    (provider, external_id) is the dedup key: a provider's retry is never stored twice.
    The column default is "processed": rows from before the queue were processed when
    they were stored, and so is every row a not-yet-upgraded process writes."""
    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("provider", "external_id"),
        Index("ix_inbound_pending", "id",
              postgresql_where=PENDING, sqlite_where=PENDING),
        # a contact's earlier events, which must go first
        Index("ix_inbound_pending_contact", "channel", "address", "id",
              postgresql_where=PENDING, sqlite_where=PENDING),
        Index("ix_inbound_failed", "id", postgresql_where=FAILED, sqlite_where=FAILED),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    received_at: Mapped[datetime]
    # what processing needs (InboundMessage, the address normalised: E.164 for SMS)
    channel: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(16))
    attachments: Mapped[list | None] = mapped_column(JSON)
    profile: Mapped[dict | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None]        # when the provider says the citizen sent it
    status: Mapped[str] = mapped_column(String(16), server_default="processed")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)   # the last failure, kept when parked
    processed_at: Mapped[datetime | None]


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("citizen_id", "period"),
                      Index("ix_assessments_period", "period", "citizen_id"),
                      # the recent decisions: a figures snapshot they postdate is void
                      Index("ix_assessments_decided_at", "decided_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"))
    period: Mapped[int] = mapped_column(Integer)   # the year assessed
    criteria_set: Mapped[str] = mapped_column(String(64))
    criteria_version: Mapped[str] = mapped_column(String(32))
    target_group: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")  # | "completed"
    total: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # points per competence when completed ({"tu_hoc": 34, ...}): the dashboard's by-competence
    # figures without reading every answer
    competence_points: Mapped[dict | None] = mapped_column(JSON)
    # An officer's recognition: "approved" or "returned" (with a reason), by whom, when.
    # It holds for the answers as they were: completed again after it, it waits again.
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))   # the officer's username
    decided_at: Mapped[datetime | None]
    answers: Mapped[list["Answer"]] = relationship(order_by="Answer.id", passive_deletes=True)


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("assessment_id", "indicator"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(64))
    option: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    raw_text: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[datetime]


QUEUED = sql("status = 'queued'")
SENDING = sql("status = 'sending'")


class Outbox(Base):
    """One outgoing message to one recipient, and everything known about sending it.

    A reply is bound to the conversation it answers: its channel, provider and address
    are set when it is queued. A reminder or announcement is planned for a *citizen*
    (`channel` "auto"): the dispatcher picks the channel when it sends (Zalo CS → ZNS →
    SMS, bot/delivery/routing.py), records it and why (`route`), and moves on to the
    next one when a channel cannot reach the citizen (`tried`). Every try is a
    DeliveryAttempt row."""
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_leased", "lease_until", postgresql_where=SENDING, sqlite_where=SENDING),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="SET NULL"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))     # "zalo" | "zns" | "sms"; "auto": not yet routed
    provider: Mapped[str] = mapped_column(String(32))    # who sends it: "console", "zalo", "kannel"...
    address: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)               # as the channel sends it (Zalo form until routed)
    sms_text: Mapped[str | None] = mapped_column(Text)    # the SMS form, for a row not yet routed
    template_data: Mapped[dict | None] = mapped_column(JSON)   # ZNS template parameters
    segments: Mapped[int] = mapped_column(Integer, default=1)
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    kind: Mapped[str] = mapped_column(String(16), default="reply")  # | "reminder" | "broadcast" | "course"
    priority: Mapped[int] = mapped_column(Integer, default=0)       # higher goes first
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # queued → sending → sent → delivered, or failed; "cancelled" when no longer wanted
    # (opted out, broadcast cancelled, citizen deleted)
    attempts: Mapped[int] = mapped_column(Integer, default=0)   # tries on the current channel
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]   # "sending": the worker's claim ends then
    route: Mapped[str | None] = mapped_column(String(200))   # the channel chosen, and why
    tried: Mapped[str] = mapped_column(String(64), default="", server_default="")  # "zalo,zns": could not reach
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)   # one per recipient and purpose
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]   # the provider says it reached the phone
    seen_at: Mapped[datetime | None]        # ... and that the citizen opened it
    updated_at: Mapped[datetime]


# what the dispatcher reads, in the order it reads it: replies first, then the oldest due;
# only rows that wait are in it
Index("ix_outbox_queue", Outbox.priority.desc(), Outbox.next_attempt_at, Outbox.id,
      postgresql_where=QUEUED, sqlite_where=QUEUED)


class DeliveryAttempt(Base):
    """One try at sending an outbox row: when, through whom, what came of it, and what
    the provider answered (numbers masked) — why a message failed, for an officer."""
    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(32))
    # "sent" | "retry" | "fallback" | "failed" | "unreachable" | "in_doubt" | "found"
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)


class RateBucket(Base):
    """A token bucket shared by every worker: `tokens` as of `updated_at`."""
    __tablename__ = "rate_buckets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)   # "zalo", "zns", "kannel"…
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]


class Broadcast(Base):
    """An announcement to the citizens of a unit's subtree; its messages are outbox rows."""
    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    text: Mapped[str] = mapped_column(Text)
    sms_text: Mapped[str] = mapped_column(Text)
    target_group: Mapped[str | None] = mapped_column(String(64))     # None: every group
    # bot/outreach/recipients.py STATUSES: "all", "unfinished", "completed", "recognised"…
    assessment: Mapped[str] = mapped_column(String(16), default="all")
    channel: Mapped[str | None] = mapped_column(String(16))   # "zalo" | "sms": who has one; None: all
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    weak_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    # (a course's announcement: only citizens weak on one of its indicators)
    estimate: Mapped[dict | None] = mapped_column(JSON)   # the split and cost shown when confirmed
    # "scheduled" → "planned" (its rows exist) → "cancelled"
    state: Mapped[str] = mapped_column(String(16))
    send_at: Mapped[datetime]
    planned: Mapped[int | None] = mapped_column(Integer)   # recipients, once planned
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # a double click's
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    planned_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    unit: Mapped[Unit] = relationship()
    course: Mapped["Course | None"] = relationship()


class Course(Base):
    """A community learning centre course; its announcements are broadcasts (course_id)."""
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    indicators: Mapped[list] = mapped_column(JSON, default=list)   # the indicator ids it helps with
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    unit: Mapped[Unit] = relationship()


class CourseSignup(Base):
    """A citizen's answer to a course announcement: coming or not."""
    __tablename__ = "course_signups"
    __table_args__ = (UniqueConstraint("course_id", "citizen_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"),
                                            index=True)
    coming: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime]
    raw_text: Mapped[str | None] = mapped_column(Text)   # the reply as typed ("1", "co a")


class JobRun(Base):
    """The last run of each scheduled job (shown on /healthz)."""
    __tablename__ = "job_runs"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class Evidence(Base):
    """Proof (minh chứng) a citizen sent for an indicator: kept by URL and metadata."""
    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"),
                                            index=True)
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"))
    indicator: Mapped[str | None] = mapped_column(String(64))   # None: not yet tied to one
    kind: Mapped[str] = mapped_column(String(16))                # "image" | "file"
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int | None] = mapped_column(Integer)
    thumbnail: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime]


class ProviderToken(Base):
    """OAuth tokens of one provider account (a Zalo OA), kept here, never in the
    environment: a refresh token works once, so the newest pair must be durable."""
    __tablename__ = "provider_tokens"
    __table_args__ = (UniqueConstraint("provider", "account"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(64))          # the OA id
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]
    pkce_verifier: Mapped[str | None] = mapped_column(String(128))
    refreshing_until: Mapped[datetime | None]   # a refresh is under way (a lease, see bot/tokens.py)
    last_error: Mapped[str | None] = mapped_column(Text)      # the last failed refresh, kept
    last_error_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ConsentRecord(Base):
    """A dated yes or no: "data" (Decree 13/2023 consent) or "announcements" (opt-in/out)."""
    __tablename__ = "consent_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    wording: Mapped[str] = mapped_column(String(64))   # the message key the citizen answered
    recorded_at: Mapped[datetime]
