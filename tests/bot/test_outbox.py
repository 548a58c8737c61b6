"""The dispatcher: due rows go out through their channel; the row says what happened."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.inbound import receive
from bot.delivery.claim import claim
from bot.delivery.dispatch import dispatch_due
from storage.models import DeliveryAttempt, Outbox
from webhooks.contract import (InboundMessage, NeedsFallback, OutboundMessage, Rejected,
                               RetryLater, SendResult)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


class FakeChannel:
    """Records what it is given; raises `error` if set, else answers with a message id."""
    name = "fake"

    def __init__(self, error: Exception | None = None):
        self.error = error
        self.sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> SendResult:
        self.sent.append(message)
        if self.error is not None:
            raise self.error
        return SendResult(provider_message_id=f"fake-{message.outbox_id}")


@pytest.fixture
def fake(runtime):
    channel = FakeChannel()
    runtime.channels["fake"] = channel
    return channel


def queue(runtime, *, provider="fake", next_attempt_at=NOW, **values) -> int:
    """Insert one outbox row directly; returns its id."""
    row = Outbox(channel="sms", provider=provider, address="+84912345678",
                 text="Cau 1/10: ...", next_attempt_at=next_attempt_at,
                 dedup_key=f"test:{uuid.uuid4().hex}", created_at=NOW, updated_at=NOW,
                 **values)
    with runtime.db.transaction() as session:
        session.add(row)
        session.flush()
        return row.id


def load(runtime, outbox_id: int) -> Outbox:
    with runtime.db.transaction() as session:
        return session.get(Outbox, outbox_id)


def attempts(runtime, outbox_id: int) -> list[DeliveryAttempt]:
    with runtime.db.transaction() as session:
        return session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == outbox_id)
                               .order_by(DeliveryAttempt.id)).all()


def test_replies_queued_by_receive_go_out_through_the_console(runtime):
    result = receive(runtime, InboundMessage("console", "m-1", "sms", "0912345678", "DK 12364"),
                     NOW)
    assert result.replies
    assert dispatch_due(runtime, NOW) == len(result.replies)
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert [r.text for r in rows] == [r.text for r in result.replies]
    for row in rows:
        assert (row.provider, row.status, row.attempts, row.error) == ("console", "sent", 1, None)
        assert row.provider_message_id == f"console-{row.id}"
        assert row.sent_at == NOW
    assert dispatch_due(runtime, NOW + timedelta(hours=1)) == 0


DUE = [
    ("an hour ago", {"next_attempt_at": NOW - timedelta(hours=1)}, True),
    ("exactly now", {"next_attempt_at": NOW}, True),
    ("a second from now", {"next_attempt_at": NOW + timedelta(seconds=1)}, False),
    ("tomorrow", {"next_attempt_at": NOW + timedelta(days=1)}, False),
    ("already sent", {"status": "sent"}, False),
    ("already failed", {"status": "failed"}, False),
    ("cancelled", {"status": "cancelled"}, False),
    ("being sent by another worker", {"status": "sending"}, False),
]


@pytest.mark.parametrize("values, sent", [c[1:] for c in DUE], ids=[c[0] for c in DUE])
def test_only_queued_rows_that_are_due_are_sent(runtime, fake, values, sent):
    outbox_id = queue(runtime, **values)
    before = load(runtime, outbox_id)
    assert dispatch_due(runtime, NOW) == int(sent)
    after = load(runtime, outbox_id)
    if sent:
        assert (after.status, after.attempts) == ("sent", 1)
    else:
        assert (after.status, after.attempts, after.updated_at) == (
            before.status, before.attempts, before.updated_at)
    assert len(fake.sent) == int(sent)


OUTCOMES = [
    ("sent", None,
     {"status": "sent", "attempts": 1, "error": None, "provider_message_id": "fake-{id}",
      "sent_at": NOW, "lease_until": None}, "sent"),
    ("retry later", RetryLater("429 too many requests"),
     {"status": "queued", "attempts": 1, "error": "429 too many requests", "sent_at": None,
      "lease_until": None}, "retry"),
    ("rejected", Rejected("number is blocked"),
     {"status": "failed", "attempts": 1, "error": "number is blocked", "sent_at": None},
     "failed"),
    ("unexpected exception", KeyError("boom"),
     {"status": "queued", "attempts": 1, "error": "KeyError('boom')", "sent_at": None},
     "retry"),
    # a reply answers the channel the citizen wrote on: it cannot move to another
    ("not reachable there", NeedsFallback("-213 user is not a follower"),
     {"status": "failed", "attempts": 1, "error": "-213 user is not a follower"}, "unreachable"),
]


@pytest.mark.parametrize("error, expected, outcome", [c[1:] for c in OUTCOMES],
                         ids=[c[0] for c in OUTCOMES])
def test_what_the_channel_says_is_recorded(runtime, fake, error, expected, outcome):
    fake.error = error
    outbox_id = queue(runtime)
    assert dispatch_due(runtime, NOW) == 1
    assert fake.sent == [OutboundMessage(outbox_id, "sms", "+84912345678", "Cau 1/10: ...",
                                         "reply")]
    row = load(runtime, outbox_id)
    for key, value in expected.items():
        value = value.format(id=outbox_id) if isinstance(value, str) else value
        assert getattr(row, key) == value, key
    assert row.updated_at == NOW
    if row.status == "queued":   # backed off, with jitter: 30 s ± 50 %
        assert timedelta(seconds=15) <= row.next_attempt_at - NOW <= timedelta(seconds=45)
    [attempt] = attempts(runtime, outbox_id)
    assert (attempt.outcome, attempt.at, attempt.provider) == (outcome, NOW, "fake")


@pytest.mark.parametrize("error, delays", [
    (RetryLater("timeout"), [30, 60, 120, 240]),
    (RuntimeError("library bug"), [30, 60, 120, 240]),
], ids=["retry later backs off", "an unexpected exception backs off the same way"])
def test_retryable_failures_give_up_after_max_attempts(runtime, fake, error, delays):
    fake.error = error
    outbox_id = queue(runtime)
    max_attempts = runtime.settings.max_attempts
    assert max_attempts == len(delays) + 1
    now = NOW
    for attempt, delay in enumerate(delays, 1):
        assert dispatch_due(runtime, now) == 1
        row = load(runtime, outbox_id)
        assert (row.status, row.attempts) == ("queued", attempt)
        waited = (row.next_attempt_at - now).total_seconds()
        assert delay * 0.5 <= waited <= delay * 1.5   # exponential, with jitter
        assert dispatch_due(runtime, row.next_attempt_at - timedelta(seconds=1)) == 0
        now = row.next_attempt_at
    assert dispatch_due(runtime, now) == 1
    row = load(runtime, outbox_id)
    assert (row.status, row.attempts, row.sent_at) == ("failed", max_attempts, None)
    assert row.error
    assert dispatch_due(runtime, now + timedelta(days=1)) == 0
    assert len(fake.sent) == max_attempts
    assert [a.outcome for a in attempts(runtime, outbox_id)] == ["retry"] * len(delays) + ["failed"]


def test_max_attempts_is_a_setting(make_app):
    runtime = make_app(max_attempts=2).extensions["cdht"]
    runtime.channels["fake"] = FakeChannel(RetryLater("timeout"))
    outbox_id = queue(runtime)
    dispatch_due(runtime, NOW)
    dispatch_due(runtime, NOW + timedelta(minutes=1))
    row = load(runtime, outbox_id)
    assert (row.status, row.attempts) == ("failed", 2)


def test_a_provider_without_a_channel_fails_clearly(runtime):
    outbox_id = queue(runtime, provider="nowhere")
    assert dispatch_due(runtime, NOW) == 1
    row = load(runtime, outbox_id)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert row.error == "no channel for provider 'nowhere'"


def test_higher_priority_first_then_oldest(runtime, fake):
    ids = {name: queue(runtime, priority=priority)
           for name, priority in [("a", 0), ("b", 10), ("c", 0), ("d", 10), ("e", 5)]}
    names = {outbox_id: name for name, outbox_id in ids.items()}
    assert dispatch_due(runtime, NOW, limit=2) == 2
    assert [names[m.outbox_id] for m in fake.sent] == ["b", "d"]
    assert load(runtime, ids["e"]).status == "queued"
    assert dispatch_due(runtime, NOW) == 3
    # one recipient: their messages go one after another, in order
    assert [names[m.outbox_id] for m in fake.sent] == ["b", "d", "e", "a", "c"]


def test_a_row_left_sending_by_a_dead_process_is_sent_again_after_its_lease(runtime, fake):
    from bot.delivery.dispatch import means_of
    from bot.delivery.recovery import sweep
    outbox_id = queue(runtime)
    lease = timedelta(seconds=runtime.settings.send_lease)
    assert len(claim(runtime, NOW, 10, means_of(runtime), True).jobs) == 1   # the process dies
    assert dispatch_due(runtime, NOW + lease) == 0           # still "sending", under lease
    assert str(sweep(runtime, NOW + lease - timedelta(seconds=1))) == \
        "0 found sent, 0 queued again, 0 to ask later"
    swept = sweep(runtime, NOW + lease + timedelta(seconds=1))
    assert swept.resent == 1              # the fake cannot be asked: sent again
    assert dispatch_due(runtime, NOW + lease + timedelta(seconds=1)) == 1
    row = load(runtime, outbox_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [a.outcome for a in attempts(runtime, outbox_id)] == ["in_doubt", "sent"]


def test_a_message_waiting_for_our_token_never_runs_out_of_tries(runtime, fake):
    """No access token yet is our fault, not the provider's: the reply waits for it."""
    fake.error = RetryLater("no Zalo access token yet", hold=True)
    outbox_id = queue(runtime)
    now = NOW
    for _ in range(runtime.settings.max_attempts + 3):
        assert dispatch_due(runtime, now) == 1
        row = load(runtime, outbox_id)
        now = row.next_attempt_at
    assert row.status == "queued" and row.attempts == runtime.settings.max_attempts + 3
    fake.error = None
    assert dispatch_due(runtime, now) == 1
    assert load(runtime, outbox_id).status == "sent"


def test_an_outcome_arriving_after_recovery_took_the_row_over_is_left_to_it(runtime, fake):
    from bot.delivery.dispatch import means_of, record
    from bot.delivery.recovery import sweep
    outbox_id = queue(runtime)
    [job] = claim(runtime, NOW, 10, means_of(runtime), True).jobs
    later = NOW + timedelta(seconds=runtime.settings.send_lease + 1)   # the send ran long
    assert sweep(runtime, later).resent == 1
    assert dispatch_due(runtime, later) == 1                           # and went again
    record(runtime, [(job, SendResult("late"))], later)                # the first one answers
    row = load(runtime, outbox_id)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, f"fake-{outbox_id}")


def test_a_delivery_report_faster_than_the_send_record_is_kept(runtime, fake):
    """Kannel reports "delivered" while sendsms has not even answered yet."""
    from bot.delivery.dispatch import means_of, record
    from bot.host import record_status
    from webhooks.contract import StatusReport
    outbox_id = queue(runtime)
    [job] = claim(runtime, NOW, 10, means_of(runtime), True).jobs      # status "sending"
    report = StatusReport("fake", (), "delivered", NOW, outbox_ids=(outbox_id,))
    assert record_status(runtime, report, NOW) == 1
    record(runtime, [(job, SendResult("fake-x"))], NOW)                # now the send returns
    row = load(runtime, outbox_id)
    assert (row.status, row.delivered_at, row.sent_at) == ("delivered", NOW, NOW)


def test_a_send_that_is_always_in_doubt_gives_up_after_max_attempts(runtime, fake):
    """A read timeout leaves the row "sending" for recovery; a channel that cannot be asked
    gets it again, but not for ever."""
    from bot.delivery.recovery import sweep
    fake.error = RetryLater("network: ReadTimeout", in_doubt=True)
    outbox_id = queue(runtime)
    now = NOW
    for attempt in range(1, runtime.settings.max_attempts + 1):
        assert dispatch_due(runtime, now) == 1
        row = load(runtime, outbox_id)
        assert (row.status, row.attempts) == ("sending", attempt)   # in doubt, leased
        now = row.lease_until + timedelta(seconds=1)
        sweep(runtime, now)
    row = load(runtime, outbox_id)
    assert (row.status, row.error) == ("failed", "gave up after 5 tries, the last one in doubt")
    assert attempts(runtime, outbox_id)[-1].outcome == "in_doubt"


class AskableChannel(FakeChannel):
    """A channel whose sent messages can be looked up; `lookups` are the answers to give
    in turn (an exception is raised), and every `since` asked about is kept."""

    def __init__(self, *lookups):
        super().__init__()
        self.lookups, self.asked = list(lookups), []

    def reconcile(self, message: OutboundMessage, since: datetime):
        self.asked.append(since)
        answer = self.lookups.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _in_doubt(runtime, channel) -> int:
    """A row whose send timed out after it may have reached the provider."""
    runtime.channels["fake"] = channel
    channel.error = RetryLater("network: ReadTimeout", in_doubt=True)
    outbox_id = queue(runtime)
    assert dispatch_due(runtime, NOW) == 1
    channel.error = None
    return outbox_id


def test_a_provider_that_cannot_be_asked_now_is_asked_again_not_sent_twice(runtime):
    """Zalo's conversation lookup times out: the row waits another lease and is asked
    again about the same moment, rather than guessed at and sent a second time."""
    from bot.delivery.recovery import sweep
    channel = AskableChannel(RetryLater("network: ReadTimeout"), RetryLater("HTTP 502"),
                             SendResult("zmsg-1"))
    outbox_id = _in_doubt(runtime, channel)
    lease = timedelta(seconds=runtime.settings.send_lease + 1)
    for n in (1, 2):
        assert str(sweep(runtime, NOW + n * lease)) == "0 found sent, 0 queued again, 1 to ask later"
        assert load(runtime, outbox_id).status == "sending"
    assert sweep(runtime, NOW + 3 * lease).found == 1
    row = load(runtime, outbox_id)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, "zmsg-1")
    assert len(channel.sent) == 1 and len(set(channel.asked)) == 1   # the same `since` each time
    assert channel.asked[0] <= NOW
    assert [a.outcome for a in attempts(runtime, outbox_id)] == ["in_doubt"] * 3 + ["found"]


def test_a_provider_that_cannot_be_asked_for_half_an_hour_gets_the_message_again(runtime):
    from bot.delivery.recovery import ASK_AGAIN_FOR, sweep
    channel = AskableChannel(RetryLater("HTTP 502"), RetryLater("HTTP 502"))
    outbox_id = _in_doubt(runtime, channel)
    assert sweep(runtime, NOW + timedelta(minutes=5)).unsettled == 1
    swept = sweep(runtime, NOW + ASK_AGAIN_FOR + timedelta(minutes=1))
    assert (swept.unsettled, swept.resent) == (0, 1)
    assert load(runtime, outbox_id).status == "queued"
    assert "could not ask for 30 minutes (HTTP 502): queued again, it may arrive twice" in \
        attempts(runtime, outbox_id)[-1].detail
