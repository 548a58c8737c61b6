"""The inbound pipeline under retries, crashes and messages that arrive together."""

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import bot.inbound.pipeline
from bot.inbound import receive
from storage.models import (Answer, Assessment, Citizen, ConsentRecord, Contact, InboundEvent,
                            Outbox)
from webhooks.contract import InboundMessage
from tests.helpers import count

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
REGISTER = ["DK 12364", "co", "Nguyen Van Tu", "1956", "1"]


def sms(sender: str, text: str, external_id: str | None = None) -> InboundMessage:
    return InboundMessage("console", external_id or uuid.uuid4().hex, "sms", sender, text)


def say(runtime, sender, *texts, now=NOW):
    result = None
    for i, text in enumerate(texts):
        result = receive(runtime, sms(sender, text), now + timedelta(seconds=i))
    return result



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
    real_step = bot.inbound.pipeline.step

    def crash(*args):
        raise RuntimeError("process died here")

    monkeypatch.setattr(bot.inbound.pipeline, "step", crash)
    message = sms("0912345678", "1", external_id="gw-7")
    with pytest.raises(RuntimeError):
        receive(runtime, message, NOW + timedelta(minutes=1))
    assert count(runtime, InboundEvent, InboundEvent.external_id == "gw-7") == 0
    monkeypatch.setattr(bot.inbound.pipeline, "step", real_step)
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
    from bot.delivery.dispatch import dispatch_due
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


def _zalo_registered_with_typed_phone(runtime):
    zalo = lambda text, **kw: InboundMessage("console", uuid.uuid4().hex, "zalo", "zalo-77", text, **kw)
    for i, text in enumerate(["xin chao", "co", "Vu Thi Hue", "1960", "xa tien lu", "1", "0912 345 678", "1"]):
        receive(runtime, zalo(text), NOW + timedelta(seconds=i))
    return zalo


def test_an_sms_number_joins_the_citizen_whose_number_zalo_confirmed(runtime):
    zalo = _zalo_registered_with_typed_phone(runtime)
    receive(runtime, zalo("", kind="profile", profile={"phone": "84912345678"}), NOW + timedelta(minutes=1))
    result = say(runtime, "+84912345678", "2", now=NOW + timedelta(days=1))
    assert "da duoc bac dang ky" in result.replies[0].text.lower()
    assert count(runtime, Citizen) == 1
    assert count(runtime, Answer) == 2


def test_a_typed_number_never_links_channels(runtime):
    """Whoever types someone else's number on Zalo must not see that person's answers
    (nor let them see hers): only numbers a channel proves link contacts."""
    _zalo_registered_with_typed_phone(runtime)
    result = say(runtime, "+84912345678", "DIEM", now=NOW + timedelta(days=1))
    assert result.replies[0].text == "Ong/ba chua tra loi cau nao nen chua co diem."   # not hers
    assert count(runtime, Citizen) == 2


def test_the_app_refuses_to_score_against_a_set_it_no_longer_has(make_app, runtime):
    from bot.config import ConfigError
    say(runtime, "0912345678", *REGISTER)
    with runtime.db.transaction() as session:
        session.execute(Assessment.__table__.update().values(criteria_version="1999-gone"))
    fresh = make_app().extensions["cdht"]
    with pytest.raises(ConfigError, match="1999-gone"):
        fresh.script()


def test_the_2022_three_group_set_can_be_the_one_in_force(make_app):
    runtime = make_app(criteria_set="cdht-2022").extensions["cdht"]
    result = say(runtime, "0912345678", "DK 12364", "co", "Nguyen Van Tu", "1956")
    assert result.replies[-1].text.endswith("3.Can bo, cong chuc, vien chuc")
    say(runtime, "0912345678", "1", *["1"] * 10, now=NOW + timedelta(minutes=1))
    with runtime.db.transaction() as session:
        assessment = session.scalars(select(Assessment)).one()
        assert (assessment.criteria_set, assessment.target_group) == ("cdht-2022", "nong_dan")
        assert (assessment.status, assessment.total, assessment.passed) == ("completed", 100, True)


def test_one_citizen_on_two_channels_at_once_is_serialised(runtime):
    """Zalo and the linked SMS number answering at the same moment: both kept, neither
    overwrites the other (PostgreSQL locks the citizen row, not only the contact)."""
    zalo = lambda text: InboundMessage("console", uuid.uuid4().hex, "zalo", "zalo-88", text)
    for i, text in enumerate(["xin chao", "co", "Vu Thi Hue", "1960", "xa tien lu", "1", "0912 345 678"]):
        receive(runtime, zalo(text), NOW + timedelta(seconds=i))
    confirmed = InboundMessage("console", uuid.uuid4().hex, "zalo", "zalo-88", "", kind="profile",
                               profile={"phone": "84912345678"})
    receive(runtime, confirmed, NOW + timedelta(seconds=30))             # Zalo confirms it
    say(runtime, "+84912345678", "1", now=NOW + timedelta(minutes=1))   # links the number
    later = NOW + timedelta(minutes=2)
    _together([lambda: receive(runtime, zalo("2"), later),
               lambda: receive(runtime, sms("+84912345678", "3"), later)])
    with runtime.db.transaction() as session:
        answers = session.scalars(select(Answer)).all()
        assert len(answers) == 3 and len({a.indicator for a in answers}) == 3
        assert sorted(a.raw_text for a in answers) == ["1", "2", "3"]


def test_a_confirmation_weeks_old_is_not_acted_on(runtime):
    say(runtime, "0912345678", *REGISTER, *["1"] * 10)
    say(runtime, "0912345678", "LAI", now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    say(runtime, "0912345678", "co", now=datetime(2027, 1, 20, tzinfo=timezone.utc))
    with runtime.db.transaction() as session:
        last_year = session.scalars(select(Assessment).where(Assessment.period == 2026)).one()
        assert (last_year.status, last_year.total) == ("completed", 100)
        assert len(last_year.answers) == 10


def test_edit_in_a_new_year_goes_to_this_years_assessment(runtime):
    say(runtime, "0912345678", *REGISTER, *["1"] * 10)
    result = say(runtime, "0912345678", "SUA 3", now=datetime(2027, 1, 20, tzinfo=timezone.utc))
    assert result.replies[-1].text.startswith("Cau 1/10")
    with runtime.db.transaction() as session:
        periods = sorted(a.period for a in session.scalars(select(Assessment)))
        last_year = session.scalars(select(Assessment).where(Assessment.period == 2026)).one()
    assert periods == [2026, 2027] and last_year.total == 100


def test_delete_cancels_replies_still_waiting_to_be_sent(runtime):
    say(runtime, "0912345678", *REGISTER, "1")            # nothing dispatched: all queued
    say(runtime, "0912345678", "XOA", "co", now=NOW + timedelta(minutes=2))
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert {r.status for r in rows[:-1]} == {"cancelled"}
    assert rows[-1].status == "queued" and rows[-1].text.startswith("Da xoa")


def test_a_unit_closed_while_offered_in_a_list_does_not_trap_the_citizen(runtime):
    from storage.models import Unit
    say(runtime, "0912345678", "xin chao", "co", "Ngo Van Ba", "1950", "chau")
    closing = Unit.__table__.update().where(Unit.name == "Phường Hồng Châu")
    with runtime.db.transaction() as session:
        session.execute(closing.values(active=False))
    runtime.units_changed()
    try:
        result = say(runtime, "0912345678", "1", now=NOW + timedelta(minutes=1))
        # "1" meant Hồng Châu, which is gone: not taken as whatever is first now.
        assert result.replies[0].text.startswith("Chua tim thay xa/phuong do")
        assert say(runtime, "0912345678", "xa tien lu", now=NOW + timedelta(minutes=2)).replies[0] \
            .text.startswith("Bac thuoc nhom nao?")
    finally:   # units are seeded once for the whole session
        with runtime.db.transaction() as session:
            session.execute(closing.values(active=True))


def test_an_open_read_never_holds_up_a_message(runtime):
    """An export held open (piped into `less`) must not block the webhooks (on SQLite the
    read must not take the write lock; on PostgreSQL readers never block writers)."""
    with runtime.db.read() as session:
        session.scalars(select(Citizen)).all()          # a read transaction is open
        started = datetime.now(timezone.utc)
        say(runtime, "0912345678", "xin chao")
        assert datetime.now(timezone.utc) - started < timedelta(seconds=5)


def test_a_phone_confirmed_by_zalo_joins_the_citizen_who_registered_it_by_sms(runtime):
    say(runtime, "0912345678", *REGISTER, "1", "2")                  # by SMS: two answers
    zalo = lambda text, **kw: InboundMessage("console", uuid.uuid4().hex, "zalo", "zalo-99", text, **kw)
    for i, text in enumerate(["xin chao", "co"]):
        receive(runtime, zalo(text), NOW + timedelta(minutes=1, seconds=i))
    shared = zalo("", kind="profile", profile={"phone": "84912345678", "name": "Nguyen Van Tu"})
    result = receive(runtime, shared, NOW + timedelta(minutes=2))
    texts = [r.text for r in result.replies]
    assert "đã được bác đăng ký trước đó" in texts[0]
    assert texts[-1].startswith("Câu 3/10")                          # where the SMS left off
    with runtime.db.read() as session:
        citizens = session.scalars(select(Citizen)).all()
        contacts = {c.channel: c.citizen_id for c in session.scalars(select(Contact))}
    assert len(citizens) == 1 and contacts == {"sms": citizens[0].id, "zalo": citizens[0].id}
    assert count(runtime, Answer) == 2
