"""The pure engine on its own: no database, no app. Transcripts in tests/transcripts/
cover whole conversations; these pin down rules that are easier to see in isolation."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flows import effects as fx
from flows.units.directory import Directory, UnitEntry
from flows.engine import Inbound, Script, step
from flows.loading import FLOWS_DIR, load_criteria, load_flow
from flows.model import Flow, Step
from flows.state import Position, Profile, State

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
CRITERIA = load_criteria(Path(__file__).parent.parent / "fixtures" / "criteria-test.toml")
DIRECTORY = Directory([
    UnitEntry("33", "Tỉnh Hưng Yên", joinable=False, help_name="Hội KH tỉnh", help_phone="0221 3000 100"),
    UnitEntry("12364", "Xã Tiên Lữ", "Tỉnh Hưng Yên", parent="33"),
])
SCRIPT = Script(load_flow(FLOWS_DIR / "registration.toml"), CRITERIA, DIRECTORY)
REGISTERED = State(profile=Profile(name="Lê Văn Tám", birth_year=1950, unit_code="12364",
                                   target_group="dan", consent=True, registered=True))


def talk(state, *texts, channel="sms", now=NOW, script=SCRIPT):
    """Send each text in turn; return the final state and the effects of the last one."""
    effects = []
    for text in texts:
        state, effects = step(script, state, Inbound(text, channel), now)
    return state, effects


def sent(effects):
    return [e.key for e in effects if isinstance(e, fx.Send)]


def test_time_is_an_input_not_read():
    state, _ = talk(State(), "xin chao")
    assert state.position.touched_at == NOW


def test_same_input_same_output():
    assert talk(State(), "xin chao", "co") == talk(State(), "xin chao", "co")


def test_position_survives_json():
    state, _ = talk(State(), "xin chao", "co", "Tran Van Ba", "1950", "tien")
    assert Position.from_json(state.position.to_json()) == state.position


def test_integer_answer_type_with_range():
    flow = Flow("survey", (Step("books", "integer", "registration.birth_year",
                                store="birth_year", low=0, high=50, next="@end"),))
    script = Script(flow, CRITERIA, DIRECTORY)
    start = State(position=Position(flow="registration", step="books"))
    state, effects = talk(start, "ba muoi", script=script)
    assert effects[0] == fx.SaveProfile({"birth_year": 30})
    state, effects = talk(start, "99", script=script)
    assert effects[0].params["hint"] == {"msg": "hint.out_of_range"}
    assert state.position.fails == 1


def test_a_name_that_is_a_command_word_is_a_name():
    state, _ = talk(State(), "xin chao", "co")
    assert state.position.step == "name"
    state, effects = talk(state, "Huy")
    assert sent(effects) == ["reask"]                      # one word: asked for the full name
    assert effects[0].params["hint"] == {"msg": "hint.name_full"}
    state, effects = talk(state, "Nguyễn Văn Huy")
    assert effects[0] == fx.SaveProfile({"name": "Nguyễn Văn Huy"})


def test_unit_by_poster_code():
    state, _ = talk(State(), "xin chao", "co", "Tran Van Ba", "1950")
    state, effects = talk(state, "DK 12364")
    assert effects[0] == fx.SaveProfile({"unit_code": "12364"})


def test_first_message_with_poster_code_skips_the_unit_question():
    state, _ = talk(State(), "DK 12364", "co", "Tran Van Ba", "1950")
    assert state.profile.unit_code == "12364"
    assert state.position.step == "group"


def test_sms_citizens_are_not_asked_their_phone():
    start = State(profile=Profile(phone="+84912345678"))
    state, effects = talk(start, "DK 12364", "co", "Tran Van Ba", "1950", "1")
    assert fx.SaveProfile({"registered": True}) in effects
    assert state.position.flow == "assessment"


@pytest.mark.parametrize("days,expired", [(13, False), (14, False), (15, True)])
def test_session_expiry_after_fourteen_days(days, expired):
    state, _ = talk(REGISTERED, "tiep")
    state, effects = talk(state, "1", now=NOW + timedelta(days=days))
    assert (sent(effects) == ["session.expired"]) is expired
    assert (state.position.pending == "resume") is expired


def test_help_line_from_the_third_failure_on():
    state, _ = talk(REGISTERED, "tiep")
    helps = []
    for _ in range(4):
        state, effects = talk(state, "gi vay")
        helps.append(effects[0].params["help"])
    assert helps[:2] == ["", ""]
    assert helps[2] == helps[3] == {"msg": "help.call", "params": {"help_name": "Hội KH tỉnh",
                                                                   "help_phone": "0221 3000 100"}}
    assert state.position.step == "i1"                       # the question stays open


def test_a_command_cancels_a_pending_question():
    state, _ = talk(REGISTERED, "tiep", "xoa")
    assert state.position.pending == "delete"
    state, effects = talk(state, "diem")
    assert state.position.pending is None
    assert not any(isinstance(e, fx.DeleteCitizen) for e in effects)


def test_an_unreadable_answer_to_a_pending_question_asks_again():
    state, _ = talk(REGISTERED, "tiep", "xoa")
    state, effects = talk(state, "3")
    assert sent(effects) == ["pending.reask"]
    assert state.position.pending == "delete"


def test_delete_confirmed_clears_everything():
    state, effects = talk(REGISTERED, "tiep", "1", "xoa", "co")
    assert fx.DeleteCitizen() in effects
    assert state.profile == Profile() and state.assessment is None


def test_edit_after_completion_rescoring():
    state, _ = talk(REGISTERED, "tiep", *["1"] * 10)
    assert state.assessment.completed
    state, effects = talk(state, "sua 3", "4")
    assert fx.StoreAnswer("i3", 4, 0, "4") in effects
    [done] = [e for e in effects if isinstance(e, fx.CompleteAssessment)]
    assert (done.total, done.passed) == (90, False)
    # i3 (4th option, 0 points) is in the first competence
    assert done.by_competence == (("tu_hoc", 30), ("cong_cu", 40), ("quan_he", 20))


def test_new_year_starts_a_new_assessment():
    state, _ = talk(REGISTERED, "tiep", *["1"] * 10)
    state, effects = talk(state, "alo", now=datetime(2027, 1, 2, tzinfo=timezone.utc))
    assert fx.StartAssessment("test-set", "1", "dan", 2027) in effects


def test_a_no_to_consent_erases_what_the_first_message_brought():
    state, effects = talk(State(), "DK 12364", "khong", channel="sms")
    assert fx.RecordConsent("data", False) in effects
    assert fx.SaveProfile({"unit_code": None, "phone": None, "phone_verified": False}) in effects
    assert state.profile.unit_code is None


def test_the_sms_number_is_kept_only_after_consent():
    state, _ = step(SCRIPT, State(), Inbound("DK 12364", "sms", phone="+84912345678"), NOW)
    assert state.profile.phone is None
    state, effects = step(SCRIPT, state, Inbound("co", "sms", phone="+84912345678"), NOW)
    assert fx.SaveProfile({"phone": "+84912345678", "phone_verified": True}) in effects


def test_a_group_missing_from_a_new_criteria_set_is_asked_again():
    renamed = replace(CRITERIA, groups=tuple(replace(g, id=g.id + "_moi") for g in CRITERIA.groups))
    script = replace(SCRIPT, criteria=renamed)
    state, effects = talk(REGISTERED, "alo", script=script)
    assert sent(effects) == ["registration.group"]
    state, effects = talk(state, "1", script=script)
    assert fx.SaveProfile({"target_group": "dan_moi"}) in effects
    state, effects = talk(state, "bo qua", script=script)   # no phone yet: asked, skipped
    assert fx.StartAssessment("test-set", "1", "dan_moi", 2026) in effects
    assert sent(effects)[-1] == "assessment.question"


def test_back_never_lands_on_a_question_that_was_skipped():
    state, _ = talk(State(), "DK 12364", "co", "Tran Van Ba", "1950")
    assert state.position.step == "group"
    state, effects = talk(state, "quay lai")
    assert state.position.step == "birth_year"          # not the unit, given by the poster code
    state, effects = talk(state, "quay lai", "quay lai")
    assert state.position.step == "name" and sent(effects) == ["back.first", "registration.name"]


def test_a_pick_list_that_is_not_working_gives_way_to_help():
    directory = Directory([
        UnitEntry("33", "Tỉnh Hưng Yên", joinable=False, help_name="Hội KH tỉnh", help_phone="0221 3000 100"),
        UnitEntry("1", "Xã Hồng Châu", "Tỉnh Hưng Yên", parent="33"),
        UnitEntry("2", "Xã Khoái Châu", "Tỉnh Hưng Yên", parent="33")],
        default_help=("Hội KH tỉnh", "0221 3000 100"))     # the unit is not known yet
    script = replace(SCRIPT, directory=directory)
    state, effects = talk(State(), "xin chao", "co", "Tran Van Ba", "1950", "chau", script=script)
    assert sent(effects) == ["registration.unit_pick"]
    state, effects = talk(state, "9", "8", script=script)
    assert sent(effects) == ["registration.unit_pick_again"]    # shown again, twice
    state, effects = talk(state, "7", script=script)
    assert sent(effects) == ["reask"] and effects[0].params["help"]["params"]["help_phone"] == "0221 3000 100"
    assert state.position.candidates == ()


@pytest.mark.parametrize("caption,indicator", [("câu 3", "i3"), ("3", "i3"), ("Chỉ số 4", "i4"),
                                                ("Giấy khen lớp 5 của cháu", "i2"), ("", "i2")],
                         ids=["cau 3", "only a number", "chi so 4", "a number in a sentence", "none"])
def test_evidence_goes_to_the_named_question_or_the_open_one(caption, indicator):
    state, _ = talk(REGISTERED, "tiep", "1")                 # at question 2
    state, effects = step(SCRIPT, state, Inbound(caption, "zalo", kind="evidence"), NOW)
    assert effects[0] == fx.AttachEvidence(indicator)
    assert state.position.step == "i2" and state.position.fails == 0
