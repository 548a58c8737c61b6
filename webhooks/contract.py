"""The channel contract: what a provider folder gives the host and gets from it.

This lives in `webhooks/` (not `bot/`) so providers never import the host:
`bot` imports providers and hands each one a `Host` when it mounts its
blueprint and makes its channel. Provider JSON and query strings never leave
their folder; they become an `InboundMessage` or a `StatusReport`. Sending goes
the other way: the host's dispatcher gives a provider's channel an
`OutboundMessage` from an outbox row.

A provider module exposes:
    NAME: str                                        # "console", "zalo", "kannel"…
    make_blueprint(host: Host, settings) -> flask.Blueprint
    make_channel(host: Host, settings) -> Channel
`settings` is the host's settings object; a provider reads only its own fields.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping, Protocol

CHANNELS = ("zalo", "sms")   # the media a citizen reads; they pick the text form
# What an inbound message is. Only "text" is read as an answer.
KINDS = (
    "text",       # something the citizen typed
    "follow",     # started following the OA: greet, start or resume
    "unfollow",   # stopped following: no more messages there
    "evidence",   # an image or file: proof (minh chứng) for an indicator
    "media",      # a sticker, location, voice… the bot cannot read: ask for a number
    "profile",    # the citizen shared their name / phone (Zalo user_submit_info)
)


@dataclass(frozen=True)
class Attachment:
    type: str                     # "image", "file", "gif", "sticker", "location"…
    url: str = ""
    name: str | None = None
    size: int | None = None
    thumbnail: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One message from a citizen, as its provider folder read it. Every field is storable
    as it stands: ids and addresses short, without control characters; all text valid
    Unicode without NUL. The host never needs the provider's JSON or query string."""
    provider: str        # who delivered it: "console", "zalo", "kannel", "smsgate"
    external_id: str     # the provider's id for this message: the dedup key
    channel: str         # "zalo" | "sms"
    address: str         # the sender on that channel: Zalo user id, phone number as given
    text: str
    kind: str = "text"   # one of KINDS
    attachments: tuple[Attachment, ...] = ()
    profile: Mapping[str, str] = field(default_factory=dict)   # kind "profile": name, phone
    # When the provider says the citizen sent it (aware, UTC): Zalo's `timestamp`, Kannel's
    # `ts`, SMSGate's `receivedAt`. The sender's or gateway's clock, not ours: it may be
    # off, even absurd; None when the provider gave none we could read. Our own clock's
    # time of arrival is the host's to record.
    sent_at: datetime | None = None


@dataclass(frozen=True)
class StatusReport:
    """What a provider says happened to messages we sent."""
    provider: str
    provider_message_ids: tuple[str, ...]
    status: str                   # "delivered" | "seen" | "failed"
    at: datetime | None = None
    reason: str | None = None     # why it failed, as the provider said it
    # Our own outbox ids, when the provider echoes them (Kannel's dlr-url): news can then
    # arrive before the send is even recorded.
    outbox_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reply:
    text: str
    segments: int
    encoding: str        # "GSM-7" | "UCS-2"


@dataclass(frozen=True)
class InboundResult:
    duplicate: bool
    replies: tuple[Reply, ...] = ()


class TokenProvider(Protocol):
    """Access tokens a provider keeps in the host's database (Zalo OAuth)."""

    def current(self) -> str | None: ...

    def replace_refused(self, refused: str) -> str | None:
        """A working token after `refused` was rejected: refreshed once, across processes."""


class Host(Protocol):
    """What the host does for providers."""

    def inbound(self, message: InboundMessage) -> InboundResult:
        """Store the message for processing and return at once (`replies` is empty); a
        message this provider delivered before is `duplicate`."""

    def answer(self, message: InboundMessage) -> InboundResult:
        """Process the message now and return its replies (the console and simulator,
        which show them in the HTTP answer)."""

    def status(self, report: StatusReport) -> int:
        """Record delivery news on our outbox rows; returns how many rows it matched."""

    def count(self, name: str) -> None:
        """Count an event that was ignored or refused (shown on /healthz)."""

    def tokens(self, provider: str) -> TokenProvider: ...


@dataclass(frozen=True)
class OutboundMessage:
    outbox_id: int
    channel: str
    address: str
    text: str
    kind: str                                  # "reply" | "reminder" | "broadcast"
    last_inbound_at: datetime | None = None    # the citizen's last message on this contact
    encoding: str = "GSM-7"                    # SMS: "UCS-2" when the text needs it
    template: Mapping[str, str] | None = None  # channel "zns": the template's parameters


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None = None


class ChannelError(Exception):
    """A send that did not work. Subclasses say what the dispatcher should do; `contact`
    is what to remember about the contact, if anything ("not_follower", "blocked")."""
    retry = False
    fallback = False

    def __init__(self, reason: str, contact: str | None = None, hold: bool = False,
                 in_doubt: bool = False, slow_down: bool = False):
        super().__init__(reason)
        self.contact = contact
        self.hold = hold   # RetryLater: our side is not ready (no token); never give up on it
        # RetryLater: the request may have reached the provider (a read timeout): ask the
        # provider before sending again (Channel.reconcile), or rely on its idempotency
        self.in_doubt = in_doubt
        self.slow_down = slow_down   # RetryLater: the provider says we go too fast (Zalo -32)


class RetryLater(ChannelError):
    """Temporary: rate limit, timeout, 5xx. Keep the message and try again."""
    retry = True


class NeedsFallback(ChannelError):
    """This channel cannot reach the citizen now (not a follower, window closed)."""
    fallback = True


class Rejected(ChannelError):
    """Permanent: the provider refused this message. Give up and keep the reason."""


class Channel(Protocol):
    """`idempotent` (optional, default False): sending the same outbox row twice makes one
    message (SMSGate keys messages by our id), so a send in doubt may simply be repeated.
    `reconcile(message, since)` (optional): whether a send in doubt reached the provider
    after `since` — its SendResult, None if it did not; RetryLater if it cannot tell now."""
    name: str

    def parts(self, text: str) -> list[str]:
        """The text cut into the pieces this channel carries (one outbox row each)."""

    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message or raise a ChannelError subclass."""
