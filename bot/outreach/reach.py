"""Before an announcement is sent: how its recipients would be reached now, by channel
(Zalo CS within the window, ZNS, SMS, unreachable), and what that costs.

The split is the dispatcher's own routing (bot/delivery/routing.py `choose`) applied to
the few classes citizens fall into — Zalo contact written within 48 h / within 7 days /
earlier / none, times a proven phone number or not — counted in one aggregate query,
so a province of 565,625 citizens costs one scan, not 565,625 decisions in Python. It
is a forecast: a citizen who writes to the OA before the message goes out gets it on
Zalo for free, and a provider that refuses moves a message on to the next channel.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select

from messages_vi.personal import is_personal, worst_segments
from storage.models import Citizen, Contact
from webhooks.zalo.messages import CS_WINDOW, FREE_WINDOW

from ..delivery.routing import Means, Reach, choose

CHANNELS = ("zalo", "zns", "sms", "unreachable")
# a moment inside each window class, for asking the routing what it would do
_SINCE = {"free": FREE_WINDOW / 2, "paid": (FREE_WINDOW + CS_WINDOW) / 2, "closed": CS_WINDOW * 2}


@dataclass(frozen=True)
class Split:
    counts: dict[str, int]                       # channel → recipients
    reasons: dict[str, int] = field(default_factory=dict)   # why unreachable → recipients

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def split(session, targeted_ids, means: Means, now: datetime, kind: str = "broadcast") -> Split:
    ids = targeted_ids.subquery()
    zalo = and_(Contact.citizen_id == Citizen.id, Contact.channel == "zalo",
                Contact.status == "active")
    last = select(func.max(Contact.last_inbound_at)).where(zalo).correlate(Citizen).scalar_subquery()
    where = case((~exists().where(zalo), "none"), (last >= now - FREE_WINDOW, "free"),
                 (last >= now - CS_WINDOW, "paid"), else_="closed")
    phone = or_(and_(Citizen.phone.is_not(None), Citizen.phone_verified.is_(True)),
                exists().where(Contact.citizen_id == Citizen.id, Contact.channel == "sms",
                               Contact.status == "active"))
    rows = session.execute(
        select(where.label("w"), case((phone, 1), else_=0).label("p"), func.count())
        .where(Citizen.id.in_(select(ids.c.id))).group_by("w", "p")).all()
    counts, reasons = dict.fromkeys(CHANNELS, 0), {}
    for window_class, has_phone, count in rows:
        reach = Reach(zalo=None if window_class == "none" else "zalo-user",
                      zalo_last_inbound=now - _SINCE[window_class] if window_class in _SINCE else None,
                      phone="+84000000000" if has_phone else None)
        route = choose(kind, reach, means, now)
        counts[route.channel or "unreachable"] += count
        if route.channel is None:
            why = route.reason.removeprefix("unreachable: ")
            reasons[why] = reasons.get(why, 0) + count
    return Split(counts, reasons)


@dataclass(frozen=True)
class Cost:
    sms_segments: int          # per message, the longest rendering
    sms_messages: int
    zns_messages: int
    free_messages: int         # Zalo CS within the free window
    sms_price: float | None    # per segment; None: not set
    zns_price: float | None
    personal: bool             # placeholders: the SMS length is the longest any citizen gets

    @property
    def sms_total(self) -> float | None:
        return None if self.sms_price is None else self.sms_messages * self.sms_segments * self.sms_price

    @property
    def zns_total(self) -> float | None:
        return None if self.zns_price is None else self.zns_messages * self.zns_price

    @property
    def total(self) -> float | None:
        parts = [t for t, n in ((self.sms_total, self.sms_messages), (self.zns_total, self.zns_messages))
                 if n]
        return None if any(p is None for p in parts) else sum(parts)


def cost(the_split: Split, sms_text: str, text: str, settings) -> Cost:
    return Cost(sms_segments=worst_segments(sms_text).count,
                sms_messages=the_split.counts["sms"], zns_messages=the_split.counts["zns"],
                free_messages=the_split.counts["zalo"], sms_price=settings.price_sms,
                zns_price=settings.price_zns, personal=is_personal(text, sms_text))


def estimate_record(the_split: Split, the_cost: Cost) -> dict:
    """What the officer confirmed, kept on the broadcast (the "estimate" column)."""
    return {"split": the_split.counts, "unreachable": the_split.reasons,
            "sms_segments": the_cost.sms_segments, "sms_price": the_cost.sms_price,
            "zns_price": the_cost.zns_price, "total": the_cost.total}
