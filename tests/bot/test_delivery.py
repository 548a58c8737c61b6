"""Delivery end to end in one process: reminders and announcements routed Zalo CS → ZNS
→ SMS when they are sent, consent checked at send time, quiet hours, replies before
bulk. The providers are recorders speaking the channel contract; tests/bot/
test_delivery_faults.py runs the real Zalo channel against a fake Zalo over HTTP."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.delivery.dispatch import dispatch_due, dispatch_pass
from bot.inbound import receive
from bot.outreach.broadcasts import create
from storage.models import Citizen, Contact, DeliveryAttempt, Outbox
from tests.delivery_world import people
from tests.fake_zalo import zalo_settings
from webhooks.contract import InboundMessage, NeedsFallback, SendResult

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=VN)   # the first morning of the learning week
TEXT = "Tuần lễ hưởng ứng học tập suốt đời bắt đầu hôm nay. Mời bà con tham gia!"


class Recorder:
    """A channel that records what it is given; `refuse` maps an address to the
    ChannelError it answers with."""

    def __init__(self, name: str, templates=None):
        self.name, self.templates = name, templates or {}
        self.sent, self.refuse = [], {}

    def parts(self, text):
        return [text]

    def send(self, message):
        self.sent.append(message)
        if message.address in self.refuse:
            raise self.refuse[message.address]
        return SendResult(provider_message_id=f"{self.name}-{message.outbox_id}")


class FakeZaloUrl:
    url = "http://zalo.test"


@pytest.fixture
def world(make_app):
    """Zalo (with a ZNS template for reminders) and Kannel configured, both recorders."""
    def build(**overrides):
        app = make_app(**zalo_settings(FakeZaloUrl), kannel_sendsms_url="http://kannel.test/sendsms",
                       kannel_mo_secret="s", **overrides)
        runtime = app.extensions["cdht"]
        runtime.channels["zalo"] = Recorder("zalo", templates={"reminder": "tpl-1"})
        runtime.channels["kannel"] = Recorder("kannel")
        return runtime
    return build


def rows(runtime, **where) -> list[Outbox]:
    with runtime.db.read() as session:
        return session.scalars(select(Outbox).filter_by(**where).order_by(Outbox.id)).all()


def outcomes(runtime, outbox_id: int) -> list[str]:
    with runtime.db.read() as session:
        return list(session.scalars(select(DeliveryAttempt.outcome)
                                    .where(DeliveryAttempt.outbox_id == outbox_id)
                                    .order_by(DeliveryAttempt.id)))


def announce(runtime, now=NOW, **options) -> int:
    with runtime.db.transaction() as session:
        return create(session, "11953", TEXT, now, **options).broadcast.id


def drain(runtime, now):
    while dispatch_due(runtime, now):
        pass


ROUTES = [
    # label, wrote to the OA how long ago (None: no Zalo), phone known, kind, paid window
    ("wrote an hour ago: Zalo, free", timedelta(hours=1), True, "broadcast", "replies",
     "zalo", "zalo: free window, wrote 1 h ago"),
    ("wrote 3 days ago, bulk may not pay: SMS", timedelta(days=3), True, "broadcast", "replies",
     "sms", "sms: zalo: paid window (3 days) not for broadcast; no ZNS template for broadcast"),
    ("wrote 3 days ago, paying allowed: Zalo", timedelta(days=3), True, "broadcast", "allow",
     "zalo", "zalo: paid window, wrote 3 days ago"),
    ("wrote 10 days ago: SMS", timedelta(days=10), True, "broadcast", "replies",
     "sms", "sms: zalo: no message in 7 days; no ZNS template for broadcast"),
    ("never on Zalo: SMS", None, True, "broadcast", "replies",
     "sms", "sms: no Zalo contact; no ZNS template for broadcast"),
    ("a reminder with a ZNS template: ZNS", timedelta(days=10), True, "reminder", "replies",
     "zns", "zns: zalo: no message in 7 days"),
]


@pytest.mark.parametrize("ago, phone, kind, paid, channel, reason", [c[1:] for c in ROUTES],
                         ids=[c[0] for c in ROUTES])
def test_each_citizen_is_reached_through_the_cheapest_channel_that_works(
        world, ago, phone, kind, paid, channel, reason):
    runtime = world(zalo_paid_window=paid)
    [person] = people(runtime, 1, NOW, wrote_ago=ago, phone=phone)
    announce(runtime)
    with runtime.db.transaction() as session:
        session.execute(update(Outbox).values(kind=kind))
    drain(runtime, NOW)
    [row] = rows(runtime)
    assert (row.status, row.channel, row.route) == ("sent", channel, reason)
    sent = runtime.channels["kannel" if channel == "sms" else "zalo"].sent
    [message] = sent
    assert message.address == (person.phone if channel in ("sms", "zns") else person.zalo)
    if channel == "sms":   # the SMS form: GSM-7, one segment
        assert message.text.startswith("Tuan le huong ung hoc tap suot doi") and row.segments == 1
    if channel == "zns":
        assert message.template == {"message": row.sms_text}


def test_nobody_can_reach_a_citizen_without_zalo_or_a_proven_phone(world):
    runtime = world()
    people(runtime, 1, NOW, wrote_ago=timedelta(days=30), phone=False)
    announce(runtime)
    drain(runtime, NOW)
    [row] = rows(runtime)
    assert (row.status, row.error) == (
        "failed", "unreachable: zalo: no message in 7 days; no proven phone number")
    assert outcomes(runtime, row.id) == ["unreachable"]


def test_zalo_refusing_moves_the_message_to_the_next_channel(world):
    """-213 (not a follower any more): the contact is marked, and SMS takes over at once."""
    runtime = world()
    [person] = people(runtime, 1, NOW)
    runtime.channels["zalo"].refuse[person.zalo] = NeedsFallback(
        "-213 User has not followed OA", contact="not_follower")
    announce(runtime)
    drain(runtime, NOW)
    [row] = rows(runtime)
    assert (row.status, row.channel, row.tried) == ("sent", "sms", "zalo")
    assert row.route.startswith("sms: zalo refused")
    assert outcomes(runtime, row.id) == ["fallback", "sent"]
    assert [m.address for m in runtime.channels["kannel"].sent] == [person.phone]
    with runtime.db.read() as session:
        assert session.scalar(select(Contact.status)) == "not_follower"


def test_a_citizen_who_opts_out_before_the_send_gets_nothing_more(world):
    runtime = world()
    [stays, leaves] = people(runtime, 2, NOW)
    announce(runtime)                                  # planned for both
    result = receive(runtime, InboundMessage("zalo", "m-huy", "zalo", leaves.zalo, "HUY"), NOW)
    assert result.replies                              # the reply to HUY itself goes out
    drain(runtime, NOW)
    by_citizen = {r.citizen_id: r for r in rows(runtime, kind="broadcast")}
    assert by_citizen[stays.citizen_id].status == "sent"
    cancelled = by_citizen[leaves.citizen_id]
    assert (cancelled.status, cancelled.error) == ("cancelled", "opted out of announcements (HUY)")
    assert {r.status for r in rows(runtime, kind="reply")} == {"sent"}
    assert [m.address for m in runtime.channels["zalo"].sent].count(leaves.zalo) == len(result.replies)


def test_a_deleted_citizen_is_not_messaged(world):
    runtime = world()
    [person] = people(runtime, 1, NOW)
    announce(runtime)
    with runtime.db.transaction() as session:
        session.execute(update(Citizen).values(consent=False))
    drain(runtime, NOW)
    assert [(r.status, r.error) for r in rows(runtime)] == [("cancelled", "refused consent")]
    assert runtime.channels["zalo"].sent == []


QUIET = [
    ("06:59 before the window", (6, 59), False),
    ("07:00 it opens", (7, 0), True),
    ("20:59 still open", (20, 59), True),
    ("21:00 it closes", (21, 0), False),
    ("23:30 night", (23, 30), False),
]


@pytest.mark.parametrize("hour_minute, bulk_goes", [c[1:] for c in QUIET], ids=[c[0] for c in QUIET])
def test_announcements_wait_for_the_send_window_replies_never_do(world, hour_minute, bulk_goes):
    runtime = world(send_window="07:00-21:00")
    at = NOW.replace(hour=hour_minute[0], minute=hour_minute[1])
    [person] = people(runtime, 1, at)
    announce(runtime, now=at)
    receive(runtime, InboundMessage("zalo", "m-1", "zalo", person.zalo, "DIEM"), at)
    drain(runtime, at)
    assert {r.status for r in rows(runtime, kind="reply")} == {"sent"}
    [bulk] = rows(runtime, kind="broadcast")
    assert bulk.status == ("sent" if bulk_goes else "queued")
    if not bulk_goes:   # it goes when the window opens, not before
        opens = at.replace(hour=7, minute=0) + timedelta(days=1 if at.hour >= 21 else 0)
        drain(runtime, opens - timedelta(seconds=1))
        assert rows(runtime, kind="broadcast")[0].status == "queued"
        drain(runtime, opens)
        assert rows(runtime, kind="broadcast")[0].status == "sent"


def test_always_sends_at_night(world):
    runtime = world(send_window="always")
    people(runtime, 1, NOW)
    night = NOW.replace(hour=2)
    announce(runtime, now=night)
    drain(runtime, night)
    assert rows(runtime)[0].status == "sent"


def test_a_reply_overtakes_a_running_broadcast(world):
    """300 announcements go out 60 a second; a citizen who writes in the middle of it gets
    the answer in the next batch, not after the 300."""
    runtime = world(rate_zalo=60)
    crowd = people(runtime, 300, NOW)
    announce(runtime)
    first = dispatch_pass(runtime, NOW)
    assert first.tried == 60 and first.wait == pytest.approx(4 / 60)   # the 4 left of the batch
    writer = crowd[-1]
    receive(runtime, InboundMessage("zalo", "m-q", "zalo", writer.zalo, "DIEM"), NOW)
    assert dispatch_pass(runtime, NOW).tried == 0           # the bucket is empty this second
    later = NOW + timedelta(seconds=1)
    dispatch_pass(runtime, later)
    zalo = runtime.channels["zalo"]
    replies = {r.id for r in rows(runtime, kind="reply")}
    next_batch = [m.outbox_id for m in zalo.sent[60:]]
    assert replies and set(next_batch[:len(replies)]) == replies
    # the second second: the reply, then 59 of the broadcast
    assert sum(1 for r in rows(runtime, kind="broadcast") if r.status == "queued") == 300 - 60 - 59


def test_the_rate_limit_holds_over_time(world):
    runtime = world(rate_zalo=20)
    people(runtime, 100, NOW)
    announce(runtime)
    sent = [dispatch_due(runtime, NOW + timedelta(seconds=s)) for s in range(4)]
    assert sent == [20, 20, 20, 20]          # one second's worth, then the refill per second


def test_healthz_tells_what_waits_and_whether_the_window_is_open(world, make_app):
    runtime = world(send_window="07:00-21:00")
    people(runtime, 3, NOW)
    announce(runtime)
    health = make_app(send_window="07:00-21:00").test_client().get("/healthz").get_json()
    assert health["outbox_queued"] == 3 and health["outbox_sending"] == 0
    assert health["send_window"] == "open" or health["send_window"].startswith("closed until ")


def test_zns_refusing_a_template_message_falls_back_to_sms(world):
    """ZNS answers "no" (an invalid number, the template, the day's quota): SMS still can."""
    from webhooks.contract import Rejected
    runtime = world()
    [person] = people(runtime, 1, NOW, wrote_ago=timedelta(days=10))
    runtime.channels["zalo"].refuse[person.phone] = Rejected("-144 daily quota exceeded")
    announce(runtime)
    with runtime.db.transaction() as session:
        session.execute(update(Outbox).values(kind="reminder"))
    drain(runtime, NOW)
    [row] = rows(runtime)
    assert (row.status, row.channel, row.tried) == ("sent", "sms", "zns")
    assert outcomes(runtime, row.id) == ["fallback", "sent"]


def test_with_every_channel_limited_a_claim_takes_only_what_may_go(world, monkeypatch):
    """No console (unlimited) channel: a claim reads no more rows than the fullest bucket
    holds tokens, and none at all while every bucket is dry."""
    import bot.delivery.claim as claim_module
    runtime = world(console=False, rate_zalo=20, rate_zns=5, rate_kannel=5)
    people(runtime, 100, NOW)
    announce(runtime)
    original_select = claim_module.select
    selects = []
    monkeypatch.setattr(claim_module, "select", lambda *a: selects.append(a) or original_select(*a))
    assert dispatch_pass(runtime, NOW).tried == 20             # Zalo's bucket: 20 a second
    assert dispatch_pass(runtime, NOW).tried == 0              # Zalo is dry this second
    with runtime.db.transaction() as session:
        from bot.delivery.buckets import drain as drain_bucket
        for name, rate in (("kannel", 5), ("zns", 5)):
            drain_bucket(session, name, rate, NOW)
    selects.clear()
    dry = dispatch_pass(runtime, NOW + timedelta(milliseconds=10))
    assert dry.tried == 0 and dry.wait == pytest.approx(5 / 20 - 0.01, abs=0.02)
    assert selects == []                                       # not a row was read
    assert dispatch_pass(runtime, NOW + timedelta(seconds=1)).tried == 20
