"""The fallback order for a reminder or announcement to one citizen, decided when it is
sent (a citizen who wrote an hour ago is reachable on Zalo for free; one who has not
written for a month is not):

1. Zalo CS, when the citizen wrote to the OA within the window: free within 48 h;
   48 h–7 days only if CDHT_ZALO_PAID_WINDOW allows bulk messages there ("allow");
2. ZNS, when the message kind has a template (CDHT_ZNS_TEMPLATES) and we know their
   phone number;
3. SMS through the bulk gateway, when we know their phone number;
4. otherwise nobody can reach them: the row fails as "unreachable", with the reasons.

A step the provider already refused for this row (`tried`: -213 not a follower, -230
outside the window…) is skipped. A phone number counts only when it is proven theirs:
they texted from it, or Zalo confirmed it. Replies are not routed: they go back the way
the citizen wrote. Pure: the caller gathers what is known and passes `now`.
"""

from dataclasses import dataclass
from datetime import datetime

from webhooks.registry import PROVIDERS, SMS_GATEWAYS
from webhooks.zalo.messages import may_send, window

STEPS = ("zalo", "zns", "sms")


@dataclass(frozen=True)
class Reach:
    """How one citizen can be reached, as the database knows it now."""
    zalo: str | None = None                 # the Zalo user id of an active contact
    zalo_contact: int | None = None         # ... and that contact's row
    zalo_last_inbound: datetime | None = None
    phone: str | None = None                # E.164, proven theirs


@dataclass(frozen=True)
class Means:
    """What this deployment can send with."""
    zalo: bool = False                      # a Zalo OA is configured
    zns_kinds: frozenset = frozenset()      # message kinds with a ZNS template
    sms_gateway: str | None = None          # the SMS gateway for bulk messages
    paid_window: str = "replies"            # CDHT_ZALO_PAID_WINDOW


@dataclass(frozen=True)
class Route:
    channel: str | None                     # "zalo" | "zns" | "sms"; None: unreachable
    provider: str | None
    address: str | None
    reason: str


def _age(since: datetime, now: datetime) -> str:
    hours = (now - since).total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def choose(kind: str, reach: Reach, means: Means, now: datetime, tried=()) -> Route:
    why_not = []
    if "zalo" in tried:
        why_not.append("zalo refused")
    elif not means.zalo:
        why_not.append("no Zalo OA")
    elif not reach.zalo:
        why_not.append("no Zalo contact")
    else:
        where = window(reach.zalo_last_inbound, now)
        if may_send(kind, where, means.paid_window):
            return Route("zalo", "zalo", reach.zalo,
                         f"zalo: {where} window, wrote {_age(reach.zalo_last_inbound, now)} ago")
        why_not.append("zalo: no message in 7 days" if where == "closed"
                       else f"zalo: paid window ({_age(reach.zalo_last_inbound, now)}) not for {kind}")
    if not reach.phone:
        why_not.append("no proven phone number")
        return Route(None, None, None, "unreachable: " + "; ".join(why_not))
    if "zns" in tried:
        why_not.append("zns refused")
    elif means.zalo and kind in means.zns_kinds:
        return Route("zns", "zalo", reach.phone, "zns: " + "; ".join(why_not))
    else:
        why_not.append(f"no ZNS template for {kind}" if means.zalo else "no ZNS")
    if "sms" in tried:
        why_not.append("sms refused")
    elif means.sms_gateway:
        return Route("sms", means.sms_gateway, reach.phone, "sms: " + "; ".join(why_not))
    else:
        why_not.append("no SMS gateway")
    return Route(None, None, None, "unreachable: " + "; ".join(why_not))


def sms_gateway(settings, kind: str) -> str | None:
    """Which SMS gateway sends a message of `kind`: CDHT_SMS_REPLY_GATEWAY or
    CDHT_SMS_BULK_GATEWAY, else the only one configured (None: none, or several)."""
    chosen = settings.sms_reply_gateway if kind == "reply" else settings.sms_bulk_gateway
    if chosen:
        return chosen
    configured = [name for name in SMS_GATEWAYS if PROVIDERS[name].configured(settings)]
    return configured[0] if len(configured) == 1 else None
