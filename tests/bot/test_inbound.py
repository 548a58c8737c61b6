"""The inbound pipeline under retries, crashes and messages that arrive together."""

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import bot.inbound
from bot.inbound import receive
from storage.models import (Answer, Assessment, Citizen, ConsentRecord, Contact, InboundEvent,
                            Outbox)
from webhooks.contract import InboundMessage

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
REGISTER = ["DK 12364", "co", "Nguyen Van Tu", "1956", "1"]


def sms(sender: str, text: str, external_id: str | None = None) -> InboundMessage:
    return InboundMessage("console", external_id or uuid.uuid4().hex, "sms", sender, text)


def say(runtime, sender, *texts, now=NOW):
    result = None
    for i, text in enumerate(texts):
        result = receive(runtime, sms(sender, text), now + timedelta(seconds=i))
    return result


def count(runtime, model, *where):
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_retried_delivery_is_processed_once(runtime):
    say(runtime, "0912345678", *REGISTER)
    message = sms("0912345678", "1", external_id="gw-42")
    first = receive(runtime, message, NOW + timedelta(minutes=1))
    outbox_before = count(runtime, Outbox)
    again = receive(runtime, message, NOW + timedelta(minutes=6))
    assert not first.duplicate and first.replies
    assert again.duplicate and again.replies == ()
    assert count(runtime, Answer) == 1
    assert count(runtime, Outbox) == outbox_before
    assert count(runtime, InboundEvent, InboundEvent.external_id == "gw-42") == 1


def test_a_crash_mid_message_leaves_nothing_and_the_retry_works(runtime, monkeypatch):
    say(runtime, "0912345678", *REGISTER)
    real_step = bot.inbound.step

    def crash(*args):
        raise RuntimeError("process died here")

    monkeypatch.setattr(bot.inbound, "step", crash)
    message = sms("0912345678", "1", external_id="gw-7")
    with pytest.raises(RuntimeError):
        receive(runtime, message, NOW + timedelta(minutes=1))
    assert count(runtime, InboundEvent, InboundEvent.external_id == "gw-7") == 0
    monkeypatch.setattr(bot.inbound, "step", real_step)
    assert not receive(runtime, message, NOW + timedelta(minutes=2)).duplicate
    assert count(runtime, Answer) == 1


def _together(calls):
    """Run the calls in threads released at the same moment; return results in order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


def test_the_same_message_twice_at_once_is_processed_once(runtime):
    say(runtime, "0912345678", *REGISTER)
    message = sms("0912345678", "1", external_id="gw-twice")
    results = _together([lambda: receive(runtime, message, NOW + timedelta(minutes=1))] * 2)
    assert sorted(r.duplicate for r in results) == [False, True]
    assert count(runtime, Answer) == 1


def test_two_answers_at_once_are_taken_one_after_the_other(runtime):
    say(runtime, "0912345678", *REGISTER)
    later = NOW + timedelta(minutes=1)
    _together([lambda: receive(runtime, sms("0912345678", "1"), later),
               lambda: receive(runtime, sms("0912345678", "2"), later)])
    first_two = [i.id for i in runtime.criteria.group("nguoi_dan").indicators[:2]]
    with runtime.db.transaction() as session:
        answers = session.scalars(select(Answer)).all()
        # Neither overwrote the other: one answered question 1, the other question 2.
        assert sorted(a.indicator for a in answers) == sorted(first_two)
        assert sorted(a.raw_text for a in answers) == ["1", "2"]


def test_many_citizens_at_once_each_get_their_own_conversation(runtime):
    senders = [f"09120000{n:02d}" for n in range(8)]
    _together([lambda s=s: say(runtime, s, *REGISTER, "1", "1") for s in senders])
    assert count(runtime, Citizen) == 8
    assert count(runtime, Answer) == 16
    assert count(runtime, Contact) == 8


def test_consent_and_opt_out_are_dated_records(runtime):
    say(runtime, "0912345678", *REGISTER, "HUY", "NHAN TB")
    with runtime.db.transaction() as session:
        records = [(r.kind, r.granted) for r in session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))]
        citizen = session.scalars(select(Citizen)).one()
        assert records == [("data", True), ("announcements", False), ("announcements", True)]
        assert citizen.consent is True and citizen.opted_out is False
        contact = session.scalars(select(Contact)).one()
        assert contact.last_inbound_at is not None


def test_delete_removes_the_citizen_and_redacts_sent_texts(runtime):
    from bot.outbox import dispatch_due
    say(runtime, "0912345678", *REGISTER, "1")
    dispatch_due(runtime, NOW + timedelta(minutes=1))
    say(runtime, "0912345678", "XOA", "co", now=NOW + timedelta(minutes=2))
    assert count(runtime, Citizen) == 0
    assert count(runtime, Answer) == 0
    assert count(runtime, Contact) == 1                        # kept, detached
    assert count(runtime, ConsentRecord, ConsentRecord.citizen_id.is_(None)) == 1
    with runtime.db.transaction() as session:
        texts = [o.text for o in session.scalars(select(Outbox).where(Outbox.status == "sent"))]
        assert texts and all("Nguyen Van Tu" not in t for t in texts)
        assert not any("Nguyen Van Tu" in o.text for o in session.scalars(select(Outbox)))


def test_an_sms_number_joins_the_citizen_who_gave_it_on_zalo(runtime):
    zalo = lambda text: InboundMessage("console", uuid.uuid4().hex, "zalo", "zalo-77", text)
    for i, text in enumerate(["xin chao", "co", "Vu Thi Hue", "1960", "tien lu", "1", "0912 345 678", "1"]):
        receive(runtime, zalo(text), NOW + timedelta(seconds=i))
    result = say(runtime, "+84912345678", "2", now=NOW + timedelta(days=1))
    assert "da duoc bac dang ky" in result.replies[0].text.lower()
    assert count(runtime, Citizen) == 1
    assert count(runtime, Answer) == 2


def test_the_app_refuses_to_score_against_a_set_it_no_longer_has(make_app, runtime):
    from bot.config import ConfigError
    say(runtime, "0912345678", *REGISTER)
    with runtime.db.transaction() as session:
        session.execute(Assessment.__table__.update().values(criteria_version="1999-gone"))
    fresh = make_app().extensions["cdht"]
    with pytest.raises(ConfigError, match="1999-gone"):
        fresh.script()
