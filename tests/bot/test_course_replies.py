"""Citizens answering a course announcement ("1" I will come, "0" not this time) through
the real inbound path: the announcement's outbox row is what makes a bare reply an
answer, and the answer lands in course_signups."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import bot.inbound.pipeline
import bot.inbound.queue
from bot import conversation
from bot.inbound import accept, drain, receive
from storage.models import (Answer, Broadcast, Citizen, Contact, ConversationSession, Course,
                            CourseSignup, Outbox, Unit)
from tests.helpers import count, outbox
from webhooks.contract import InboundMessage

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
BRANCH = "12364-77"
TITLE = "Tin học cho người cao tuổi"
PHONE = "+84912345678"


@pytest.fixture
def branch(runtime):
    """A unit of the test's own under Xã Tiên Lữ (removed by the next test's clean_db)."""
    with runtime.db.transaction() as session:
        parent = session.scalars(select(Unit).where(Unit.code == "12364")).one()
        unit = Unit(code=BRANCH, name="Chi hội Khuyến học thôn Đông, Xã Tiên Lữ", kind="branch",
                    parent_id=parent.id, path=f"{parent.path}{BRANCH}/", active=True,
                    joinable=True)
        session.add(unit)
        session.flush()
        unit_id = unit.id
    runtime.units_changed()
    return unit_id


def registered(runtime, unit_id: int, channel: str = "sms", address: str = PHONE) -> int:
    """A registered citizen with one contact, who has not written yet."""
    with runtime.db.transaction() as session:
        citizen = Citizen(name="Lê Văn Tám", birth_year=1950, unit_id=unit_id,
                          target_group="nguoi_dan", phone=PHONE, phone_verified=True,
                          consent=True, opted_out=False, registered_at=NOW - timedelta(days=30),
                          created_at=NOW - timedelta(days=30))
        session.add(citizen)
        session.flush()
        session.add(Contact(channel=channel, address=address, citizen_id=citizen.id,
                            created_at=NOW - timedelta(days=30)))
        return citizen.id


def announce(runtime, unit_id: int, citizen_id: int, sent_at: datetime,
             starts_at: datetime | None = None, status: str = "sent") -> int:
    """A course, its announcement, and the announcement's message to the citizen."""
    starts_at = starts_at or NOW + timedelta(days=3)
    with runtime.db.transaction() as session:
        course = Course(unit_id=unit_id, title=TITLE, place="Nhà văn hóa thôn Đông",
                        starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                        indicators=[], created_at=sent_at - timedelta(days=1))
        session.add(course)
        session.flush()
        text = "Bác ơi, lớp mới. Trả lời 1 nếu bác sẽ đến, 0 nếu lần này không đến."
        broadcast = Broadcast(unit_id=unit_id, text=text, sms_text=text, course_id=course.id,
                              state="planned", send_at=sent_at, planned=1,
                              created_at=sent_at - timedelta(hours=1), planned_at=sent_at)
        session.add(broadcast)
        session.flush()
        session.add(Outbox(citizen_id=citizen_id, broadcast_id=broadcast.id, channel="sms",
                           provider="kannel", address=PHONE, text=text, kind="broadcast",
                           status=status, next_attempt_at=sent_at,
                           dedup_key=f"broadcast:{broadcast.id}:{citizen_id}",
                           created_at=sent_at, sent_at=sent_at, updated_at=sent_at))
        return course.id


def sms(runtime, text: str, now: datetime, sender: str = "0912345678") -> list[str]:
    """The citizen's SMS handled inline; the replies' texts."""
    message = InboundMessage("console", uuid.uuid4().hex, "sms", sender, text)
    return [r.text for r in receive(runtime, message, now).replies]


def signups(runtime) -> list[tuple[int, int, bool, str]]:
    with runtime.db.read() as session:
        return [(s.course_id, s.citizen_id, s.coming, s.raw_text)
                for s in session.scalars(select(CourseSignup).order_by(CourseSignup.id))]


def test_1_then_0_records_and_changes_the_answer(runtime, branch):
    citizen = registered(runtime, branch)
    course = announce(runtime, branch, citizen, sent_at=NOW)
    replies = sms(runtime, "1", NOW + timedelta(minutes=5))
    assert signups(runtime) == [(course, citizen, True, "1")]
    assert len(replies) == 1 and "Tin hoc cho nguoi cao tuoi" in replies[0]
    assert replies[0].startswith("Cam on bac!")
    replies = sms(runtime, "0", NOW + timedelta(minutes=6))      # changed their mind
    assert signups(runtime) == [(course, citizen, False, "0")]
    assert "khong den" in replies[0]
    with runtime.db.read() as session:
        signup = session.scalars(select(CourseSignup)).one()
        assert signup.answered_at == NOW + timedelta(minutes=6)


def test_yes_in_words_is_kept_as_typed(runtime, branch):
    citizen = registered(runtime, branch)
    course = announce(runtime, branch, citizen, sent_at=NOW)
    sms(runtime, "Có ạ", NOW + timedelta(hours=3))
    assert signups(runtime) == [(course, citizen, True, "Có ạ")]


REGISTER = ["xin chao", "co", "Nguyen Van Tu", "1956", f"DK {BRANCH}", "1"]   # then question 1


def at_question_1(runtime, sender="0987654321") -> int:
    for i, text in enumerate(REGISTER):
        replies = sms(runtime, text, NOW + timedelta(seconds=i), sender)
    assert replies[-1].startswith("Cau 1/"), replies
    with runtime.db.read() as session:
        return session.scalars(select(Citizen.id).where(Citizen.name == "Nguyen Van Tu")).one()


def test_mid_assessment_the_answer_is_taken_and_the_question_asked_again(runtime, branch):
    citizen = at_question_1(runtime)
    course = announce(runtime, branch, citizen, sent_at=NOW + timedelta(hours=1))
    replies = sms(runtime, "1", NOW + timedelta(hours=2), "0987654321")
    assert signups(runtime) == [(course, citizen, True, "1")]
    assert count(runtime, Answer) == 0
    assert len(replies) == 2 and replies[1].startswith("Cau 1/")
    replies = sms(runtime, "1", NOW + timedelta(hours=2, minutes=1), "0987654321")  # question 1
    assert count(runtime, Answer) == 1 and replies[-1].startswith("Cau 2/")
    assert signups(runtime) == [(course, citizen, True, "1")]


def test_a_message_after_the_announcement_makes_1_the_question_answer(runtime, branch):
    announced = NOW - timedelta(hours=1)
    citizen = at_question_1(runtime)                     # wrote after the announcement
    announce(runtime, branch, citizen, sent_at=announced)
    replies = sms(runtime, "1", NOW + timedelta(minutes=10), "0987654321")
    assert signups(runtime) == []
    assert count(runtime, Answer) == 1 and replies[-1].startswith("Cau 2/")


@pytest.mark.parametrize("sent_at, starts_at, status", [
    (NOW - timedelta(days=2), NOW - timedelta(hours=1), "sent"),
    (NOW - timedelta(days=8), NOW + timedelta(days=3), "delivered"),
    (NOW - timedelta(hours=1), NOW + timedelta(days=3), "failed"),
    (NOW - timedelta(hours=1), NOW + timedelta(days=3), "queued"),
    (NOW + timedelta(hours=1), NOW + timedelta(days=3), "sent"),
], ids=["course started", "sent 8 days ago", "failed", "not sent yet", "sent after the reply"])
def test_an_announcement_that_cannot_be_answered_any_more(runtime, branch, sent_at, starts_at,
                                                          status):
    citizen = registered(runtime, branch)
    announce(runtime, branch, citizen, sent_at=sent_at, starts_at=starts_at, status=status)
    sms(runtime, "1", NOW)
    assert signups(runtime) == []


def test_delivered_within_the_week_is_answered(runtime, branch):
    citizen = registered(runtime, branch)
    course = announce(runtime, branch, citizen, sent_at=NOW - timedelta(days=6), status="delivered")
    sms(runtime, "0", NOW)
    assert signups(runtime) == [(course, citizen, False, "0")]


def test_zalo_replies_through_the_queue_use_the_batch_s_rows(runtime, branch, monkeypatch):
    """Two citizens in one processor batch (bot/inbound/prefetch.py loads the offers)."""
    given = []

    def load_state(session, citizen, now, rows=None):
        given.append(rows is not None)
        return conversation.load_state(session, citizen, now, rows)

    def not_one_by_one(*args):
        raise AssertionError("the batch failed")

    monkeypatch.setattr(bot.inbound.pipeline, "load_state", load_state)
    monkeypatch.setattr(bot.inbound.queue, "process_one_by_one", not_one_by_one)
    first = registered(runtime, branch, "zalo", "zalo-user-1")
    with runtime.db.transaction() as session:
        second = Citizen(name="Trần Thị Bình", birth_year=1990, unit_id=branch,
                         target_group="nguoi_dan", consent=True, opted_out=False,
                         registered_at=NOW - timedelta(days=9), created_at=NOW - timedelta(days=9))
        session.add(second)
        session.flush()
        session.add(Contact(channel="zalo", address="zalo-user-2", citizen_id=second.id,
                            created_at=NOW - timedelta(days=9)))
        session.add(ConversationSession(citizen_id=second.id, updated_at=NOW,   # wrote since
                                        position={"touched_at": NOW.isoformat()}))
        second = second.id
    course = announce(runtime, branch, first, sent_at=NOW - timedelta(hours=1))
    announce(runtime, branch, second, sent_at=NOW - timedelta(hours=2))
    for user, text in (("zalo-user-1", "ok"), ("zalo-user-2", "1")):
        accept(runtime, InboundMessage("zalo", uuid.uuid4().hex, "zalo", user, text),
               NOW + timedelta(minutes=1))
    assert drain(runtime, NOW + timedelta(minutes=1)).processed == 2
    assert given == [True, True]
    assert signups(runtime) == [(course, first, True, "ok")]
    [thanks] = outbox(runtime, Outbox.kind == "reply", Outbox.address == "zalo-user-1")
    assert "“Tin học cho người cao tuổi”" in thanks.text and thanks.text.startswith("Cảm ơn bác!")
