"""The channel contract: what a provider folder gives the host and gets from it.

This lives in `webhooks/` (not `bot/`) so providers never import the host:
`bot` imports providers and hands each one an `InboundHandler` when it mounts
its blueprint. Provider JSON and query strings never leave their folder; they
become an `InboundMessage`. Sending goes the other way: the host's dispatcher
gives a provider's channel an `OutboundMessage` from an outbox row.

A provider module exposes:
    NAME: str                                   # "console", "zalo", "kannel"…
    make_blueprint(on_inbound) -> flask.Blueprint
    make_channel(settings: Mapping[str, object]) -> Channel
"""

from dataclasses import dataclass
from typing import Callable, Protocol

CHANNELS = ("zalo", "sms")   # the media a citizen reads; they pick the text form


@dataclass(frozen=True)
class InboundMessage:
    provider: str        # who delivered it: "console", "zalo", "kannel", "smsgate"
    external_id: str     # the provider's id for this message: the dedup key
    channel: str         # "zalo" | "sms"
    address: str         # the sender on that channel: Zalo user id, phone number as given
    text: str


@dataclass(frozen=True)
class Reply:
    text: str
    segments: int
    encoding: str        # "GSM-7" | "UCS-2"


@dataclass(frozen=True)
class InboundResult:
    duplicate: bool
    replies: tuple[Reply, ...] = ()


InboundHandler = Callable[[InboundMessage], InboundResult]


@dataclass(frozen=True)
class OutboundMessage:
    outbox_id: int
    channel: str
    address: str
    text: str
    kind: str            # "reply" | "reminder" | "broadcast"


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None = None


class ChannelError(Exception):
    """A send that did not work. Subclasses say what the dispatcher should do."""
    retry = False
    fallback = False


class RetryLater(ChannelError):
    """Temporary: rate limit, timeout, 5xx. Keep the message and try again."""
    retry = True


class NeedsFallback(ChannelError):
    """This channel cannot reach the citizen (not a follower, window closed)."""
    fallback = True


class Rejected(ChannelError):
    """Permanent: the provider refused this message. Give up and keep the reason."""


class Channel(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message or raise a ChannelError subclass."""
