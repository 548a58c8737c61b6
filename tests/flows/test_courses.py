"""Replies to a course announcement, in the pure engine: what a bare "1", "0", yes or no
does when the announcement is the last thing said, and that it does nothing otherwise."""

from dataclasses import replace
from datetime import timedelta

import pytest

from flows import effects as fx
from flows.state import CourseOffer

from tests.flows.test_engine import NOW, REGISTERED, sent, talk

COURSE = 7
LATER = NOW + timedelta(hours=2)   # the reply; the citizen last wrote at NOW


def with_offer(state, sent_at=NOW + timedelta(hours=1)):
    return replace(state, offer=CourseOffer(COURSE, "Tin học cơ bản", sent_at))


def idle():
    """Registered, nothing open, last wrote at NOW."""
    return replace(REGISTERED, position=replace(REGISTERED.position, touched_at=NOW))


def mid_assessment():
    """At question 1 of the assessment, asked at NOW."""
    return talk(REGISTERED, "tiep")[0]


START = ["assessment.question"]          # what an idle citizen's other reply brings
REPLIES = [
    # label, situation, announcement newer than the citizen's last message, reply,
    # coming (None: no signup), messages sent, answers stored
    ("idle 1", idle, True, "1", True, ["course.signup.yes"], 0),
    ("idle 0", idle, True, "0", False, ["course.signup.no"], 0),
    ("idle co", idle, True, "co", True, ["course.signup.yes"], 0),
    ("idle Có", idle, True, "Có", True, ["course.signup.yes"], 0),
    ("idle ko", idle, True, "ko", False, ["course.signup.no"], 0),
    ("idle không", idle, True, "không", False, ["course.signup.no"], 0),
    ("idle 2: how to answer", idle, True, "2", None, ["course.signup.how"], 0),
    ("idle 3: the normal way", idle, True, "3", None, START, 0),
    ("idle HUY: the command", idle, True, "HUY", None, ["optout.done"], 0),
    ("idle, older 1", idle, False, "1", None, START, 0),
    ("idle, older 0", idle, False, "0", None, START, 0),
    ("idle, older co", idle, False, "co", None, START, 0),
    ("idle, older 2", idle, False, "2", None, START, 0),
    ("idle, older HUY", idle, False, "HUY", None, ["optout.done"], 0),
    ("mid 1: asked again", mid_assessment, True, "1", True,
     ["course.signup.yes", "assessment.question"], 0),
    ("mid 0", mid_assessment, True, "0", False, ["course.signup.no", "assessment.question"], 0),
    ("mid Có", mid_assessment, True, "Có", True, ["course.signup.yes", "assessment.question"], 0),
    ("mid không", mid_assessment, True, "không", False,
     ["course.signup.no", "assessment.question"], 0),
    ("mid 2: the question's option", mid_assessment, True, "2", None, ["assessment.question"], 1),
    ("mid 3: the question's option", mid_assessment, True, "3", None, ["assessment.question"], 1),
    ("mid HUY", mid_assessment, True, "HUY", None, ["optout.done"], 0),
    ("mid, older 1: the question's", mid_assessment, False, "1", None, ["assessment.question"], 1),
    ("mid, older ko: the question's", mid_assessment, False, "ko", None,
     ["assessment.question"], 1),
    ("mid, older co: not an option", mid_assessment, False, "co", None, ["reask"], 0),
]


@pytest.mark.parametrize("situation, newer, reply, coming, messages, stored",
                         [c[1:] for c in REPLIES], ids=[c[0] for c in REPLIES])
def test_a_reply_when_an_announcement_was_sent(situation, newer, reply, coming, messages, stored):
    before = situation()
    sent_at = NOW + timedelta(hours=1) if newer else NOW - timedelta(hours=1)
    state, effects = talk(with_offer(before, sent_at), reply, now=LATER)
    signups = [e for e in effects if isinstance(e, fx.RecordSignup)]
    assert signups == ([] if coming is None else [fx.RecordSignup(COURSE, coming, reply)])
    assert sent(effects) == messages
    assert len([e for e in effects if isinstance(e, fx.StoreAnswer)]) == stored
    if coming is not None:
        thanks = next(e for e in effects if isinstance(e, fx.Send))
        assert thanks.params == {"title": "Tin học cơ bản"}
        assert state.position.step == before.position.step     # where they were


@pytest.mark.parametrize("situation, newer, reply", [
    (idle, False, "1"), (idle, True, "3"), (idle, True, "HUY"), (idle, True, "Nguyễn Văn An"),
    (mid_assessment, True, "2"), (mid_assessment, False, "co"), (mid_assessment, True, "có thể"),
], ids=["older 1", "3", "HUY", "a name", "mid 2", "mid, older co", "mid, unsure"])
def test_a_reply_that_is_no_answer_is_read_as_if_nothing_was_announced(situation, newer, reply):
    sent_at = NOW + timedelta(hours=1) if newer else NOW - timedelta(hours=1)
    state, effects = talk(with_offer(situation(), sent_at), reply, now=LATER)
    assert (replace(state, offer=None), effects) == talk(situation(), reply, now=LATER)


def test_a_first_conversation_with_an_announcement_answers_it():
    state, effects = talk(with_offer(replace(REGISTERED, position=replace(
        REGISTERED.position, touched_at=None))), "1", now=LATER)
    assert fx.RecordSignup(COURSE, True, "1") in effects


def test_after_the_thanks_a_0_changes_the_answer():
    state, effects = talk(with_offer(idle()), "1", now=LATER)
    assert state.position.course == COURSE
    state, effects = talk(state, "0", now=LATER + timedelta(minutes=1))
    assert effects[0] == fx.RecordSignup(COURSE, False, "0")
    assert sent(effects) == ["course.signup.no"]


def test_after_how_to_answer_a_1_answers():
    state, effects = talk(with_offer(idle()), "2", now=LATER)
    assert sent(effects) == ["course.signup.how"]
    state, effects = talk(state, "1", now=LATER + timedelta(minutes=1))
    assert effects[0] == fx.RecordSignup(COURSE, True, "1")


def test_the_course_stays_the_topic_for_one_reply_only():
    state, _ = talk(with_offer(idle()), "1", now=LATER)
    state, effects = talk(state, "diem", now=LATER + timedelta(minutes=1))
    assert state.position.course is None
    state, effects = talk(state, "0", now=LATER + timedelta(minutes=2))
    assert not any(isinstance(e, fx.RecordSignup) for e in effects)


def test_once_the_question_is_asked_again_a_1_answers_it():
    state, effects = talk(with_offer(mid_assessment()), "1", now=LATER)
    assert state.position.course is None
    state, effects = talk(state, "1", now=LATER + timedelta(minutes=1))
    assert fx.StoreAnswer("i1", 1, 10, "1") in effects
    assert not any(isinstance(e, fx.RecordSignup) for e in effects)


def test_a_pending_question_is_asked_again_and_still_waits():
    state, _ = talk(REGISTERED, "tiep", "xoa")
    state, effects = talk(with_offer(state), "co", now=LATER)   # yes to the course, not to XOA
    assert fx.RecordSignup(COURSE, True, "co") in effects
    assert not any(isinstance(e, fx.DeleteCitizen) for e in effects)
    assert sent(effects) == ["course.signup.yes", "pending.delete"]
    assert state.position.pending == "delete"


def test_a_flow_left_weeks_ago_asks_whether_to_continue():
    weeks = NOW + timedelta(days=20)
    state, effects = talk(with_offer(mid_assessment(), weeks - timedelta(hours=1)), "1", now=weeks)
    assert fx.RecordSignup(COURSE, True, "1") in effects
    assert sent(effects) == ["course.signup.yes", "session.expired"]
    assert state.position.pending == "resume"
