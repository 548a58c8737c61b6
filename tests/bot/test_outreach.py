"""Planning outreach against the database: broadcasts (and their CLI), reminders of
unfinished assessments, course reminders, and the sessions job. Every planner is run
with `now` given; a second run must add nothing."""

import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.jobs.housekeeping import expire_sessions
from bot.jobs.schedule import JOBS, Job, run_job
from bot.outreach.broadcasts import BroadcastError, cancel, create, plan, plan_due, progress, sms_form
from bot.outreach.courses import plan_course_reminders
from bot.outreach.reminders import plan_reminders, step_due
from storage.models import (Answer, Assessment, Broadcast, Citizen, ConversationSession, Course,
                            CourseSignup, JobRun, Outbox, Unit)
from tests.helpers import count, outbox

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=VN)
WARD, BRANCH, OTHER_WARD, PROVINCE = "11953", "11953-1", "12364", "33"
_phones = itertools.count(1)


def unit_id(session, code: str) -> int:
    return session.scalars(select(Unit.id).where(Unit.code == code)).one()


def citizen(runtime, unit: str = WARD, *, group: str = "nguoi_dan", birth_year: int = 1958,
            opted_out: bool = False, registered: bool = True, consent: bool | None = True,
            name: str | None = None) -> int:
    with runtime.db.transaction() as session:
        row = Citizen(name=name, birth_year=birth_year, unit_id=unit_id(session, unit),
                      target_group=group, phone=f"+8491{next(_phones):07d}", consent=consent,
                      opted_out=opted_out, registered_at=NOW - timedelta(days=60) if registered
                      else None, created_at=NOW - timedelta(days=60))
        session.add(row)
        session.flush()
        return row.id


def assessment(runtime, citizen_id: int, *, answers: int = 3, status: str = "in_progress",
               updated: datetime = NOW, period: int = 2026, group: str = "nguoi_dan") -> int:
    """This year's assessment with its first `answers` indicators answered, the last at
    `updated`."""
    criteria = runtime.criteria
    indicators = next(g for g in criteria.groups if g.id == group).indicators
    with runtime.db.transaction() as session:
        row = Assessment(citizen_id=citizen_id, period=period, criteria_set=criteria.id,
                         criteria_version=criteria.version, target_group=group, status=status,
                         started_at=updated - timedelta(minutes=10), updated_at=updated,
                         completed_at=updated if status == "completed" else None)
        session.add(row)
        session.flush()
        for indicator in indicators[:answers]:
            session.add(Answer(assessment_id=row.id, indicator=indicator.id, option=1, points=10,
                               raw_text="1", answered_at=updated))
        return row.id


def broadcast(runtime, unit: str = WARD, text: str = "Họp chi hội tối thứ Bảy", now=NOW,
              **options):
    with runtime.db.transaction() as session:
        made = create(session, unit, text, now, **options)
        return made.broadcast.id, made.recipients, made.existing


def load(runtime, model, row_id):
    with runtime.db.read() as session:
        return session.get(model, row_id)


def recipients(runtime, broadcast_id: int) -> set[int]:
    return {row.citizen_id for row in outbox(runtime, Outbox.broadcast_id == broadcast_id)}


# --- broadcasts: who ------------------------------------------------------------------------

def test_a_broadcast_goes_to_the_registered_citizens_of_the_unit_subtree(runtime):
    in_ward, in_branch = citizen(runtime, WARD), citizen(runtime, BRANCH)
    elsewhere = citizen(runtime, OTHER_WARD)
    citizen(runtime, WARD, opted_out=True)
    citizen(runtime, WARD, registered=False)
    citizen(runtime, WARD, consent=False)
    no_answer_yet = citizen(runtime, WARD, consent=None)

    ward_id, planned, existing = broadcast(runtime, WARD)
    assert (planned, existing) == (3, False)
    assert recipients(runtime, ward_id) == {in_ward, in_branch, no_answer_yet}
    branch_id, _, _ = broadcast(runtime, BRANCH)
    assert recipients(runtime, branch_id) == {in_branch}
    province_id, planned, _ = broadcast(runtime, PROVINCE)
    assert recipients(runtime, province_id) == {in_ward, in_branch, elsewhere, no_answer_yet}
    assert planned == 4
    assert load(runtime, Broadcast, province_id).planned == 4


FILTERS = [
    # label, group, status, who gets it
    ("everybody", None, "all", {"not_started", "in_progress", "completed", "done_last_year", "pupil"}),
    ("unfinished includes not started and last year's", None, "unfinished",
     {"not_started", "in_progress", "done_last_year", "pupil"}),
    ("completed this year", None, "completed", {"completed"}),
    ("one group", "nguoi_dan", "all", {"not_started", "in_progress", "completed", "done_last_year"}),
    ("one group, unfinished", "nguoi_dan", "unfinished",
     {"not_started", "in_progress", "done_last_year"}),
    ("pupils", "hoc_sinh", "all", {"pupil"}),
    ("pupils who completed: nobody", "hoc_sinh", "completed", set()),
]


@pytest.mark.parametrize("group, status, expected", [c[1:] for c in FILTERS],
                         ids=[c[0] for c in FILTERS])
def test_a_broadcast_filters_by_group_and_this_years_assessment(runtime, group, status, expected):
    people = {name: citizen(runtime, name=name) for name in
              ("not_started", "in_progress", "completed", "done_last_year")}
    people["pupil"] = citizen(runtime, group="hoc_sinh", birth_year=2012, name="pupil")
    assessment(runtime, people["in_progress"])
    assessment(runtime, people["completed"], answers=10, status="completed")
    assessment(runtime, people["done_last_year"], answers=10, status="completed", period=2025,
               updated=NOW - timedelta(days=300))
    assessment(runtime, people["pupil"], group="hoc_sinh")

    broadcast_id, planned, _ = broadcast(runtime, PROVINCE, group=group, status=status)
    names = {v: k for k, v in people.items()}
    assert {names[c] for c in recipients(runtime, broadcast_id)} == expected
    assert planned == len(expected)


# --- broadcasts: what -----------------------------------------------------------------------

SMS_FORMS = [
    ("diacritics", "Mời bà con họp", "Moi ba con hop"),
    ("đ and Đ", "Đi đến Đình làng", "Di den Dinh lang"),
    ("one line, single spaces", "Hội Khuyến học\n  mời   dự\tlớp ", "Hoi Khuyen hoc moi du lop"),
    ("already plain", "Hop luc 19h", "Hop luc 19h"),
]


@pytest.mark.parametrize("text, sms", [c[1:] for c in SMS_FORMS], ids=[c[0] for c in SMS_FORMS])
def test_sms_form(text, sms):
    assert sms_form(text) == sms


def test_each_planned_row_is_an_unrouted_broadcast_message(runtime):
    one, two = citizen(runtime), citizen(runtime, BRANCH)
    text = "Đêm nay Chi hội họp lúc 19 giờ tại nhà văn hóa"
    broadcast_id, _, _ = broadcast(runtime, text=f"  {text}\n")
    rows = outbox(runtime, Outbox.broadcast_id == broadcast_id)
    assert sorted(r.citizen_id for r in rows) == sorted([one, two])
    sms = "Dem nay Chi hoi hop luc 19 gio tai nha van hoa"
    for row in rows:
        assert (row.channel, row.provider, row.address, row.kind) == ("auto", "auto", "", "broadcast")
        assert (row.status, row.priority, row.attempts, row.tried) == ("queued", 0, 0, "")
        assert row.dedup_key == f"broadcast:{broadcast_id}:{row.citizen_id}"
        assert (row.text, row.sms_text) == (text, sms)
        assert row.template_data == {"message": sms}
        assert (row.segments, row.encoding) == (1, "GSM-7")
        assert row.next_attempt_at == NOW and row.created_at == NOW
    stored = load(runtime, Broadcast, broadcast_id)
    assert (stored.text, stored.sms_text, stored.state, stored.planned_at) == (text, sms, "planned", NOW)


def test_an_sms_text_of_its_own_is_kept(runtime):
    citizen(runtime)
    broadcast_id, _, _ = broadcast(runtime, text="Mời bà con dự lớp", sms_text="Moi ba con du lop tin hoc")
    [row] = outbox(runtime, Outbox.broadcast_id == broadcast_id)
    assert (row.text, row.sms_text) == ("Mời bà con dự lớp", "Moi ba con du lop tin hoc")


BAD_BROADCASTS = [
    ("empty text", {"text": "  \n"}, "empty"),
    ("unknown status", {"status": "started"}, "status must be one of"),
    ("unknown unit", {"unit": "99999"}, "no unit '99999'"),
]


@pytest.mark.parametrize("options, message", [c[1:] for c in BAD_BROADCASTS],
                         ids=[c[0] for c in BAD_BROADCASTS])
def test_a_bad_broadcast_is_refused_and_nothing_stored(runtime, options, message):
    citizen(runtime)
    with pytest.raises(BroadcastError, match=message):
        broadcast(runtime, **options)
    assert (count(runtime, Broadcast), count(runtime, Outbox)) == (0, 0)


# --- broadcasts: once -----------------------------------------------------------------------

def test_planning_again_adds_nothing(runtime):
    citizen(runtime), citizen(runtime)
    broadcast_id, planned, _ = broadcast(runtime)
    later = citizen(runtime)   # registered after the broadcast was planned
    with runtime.db.transaction() as session:
        assert plan(session, session.get(Broadcast, broadcast_id), NOW + timedelta(hours=1)) == 2
    assert plan_due(runtime, NOW + timedelta(hours=1)) == 0
    # a planner that died after its INSERT but before marking the broadcast: the
    # dedup keys keep the rows there from being written twice
    with runtime.db.transaction() as session:
        session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(state="scheduled"))
    assert plan_due(runtime, NOW + timedelta(hours=2)) == 3
    assert count(runtime, Outbox) == 3
    assert later in recipients(runtime, broadcast_id)


def test_the_same_key_twice_makes_one_broadcast(runtime):
    citizen(runtime), citizen(runtime)
    first = broadcast(runtime, key="form-7f3a")
    again = broadcast(runtime, text="Một văn bản khác", key="form-7f3a", now=NOW + timedelta(seconds=2))
    assert first == (first[0], 2, False)
    assert again == (first[0], 2, True)
    assert (count(runtime, Broadcast), count(runtime, Outbox)) == (1, 2)
    other = broadcast(runtime, key="form-8b41")
    assert other[0] != first[0] and count(runtime, Outbox) == 4


def test_a_broadcast_at_a_later_time_waits_for_plan_due(runtime):
    citizen(runtime), citizen(runtime, BRANCH)
    at = NOW + timedelta(hours=3)
    broadcast_id, targeted, _ = broadcast(runtime, at=at)
    assert targeted == 2   # how many it would reach now, for the officer
    stored = load(runtime, Broadcast, broadcast_id)
    assert (stored.state, stored.send_at, stored.planned) == ("scheduled", at, None)
    assert count(runtime, Outbox) == 0

    assert plan_due(runtime, at - timedelta(seconds=1)) == 0
    assert count(runtime, Outbox) == 0
    assert plan_due(runtime, at) == 2
    stored = load(runtime, Broadcast, broadcast_id)
    assert (stored.state, stored.planned, stored.planned_at) == ("planned", 2, at)
    assert {r.next_attempt_at for r in outbox(runtime)} == {at}
    assert plan_due(runtime, at + timedelta(minutes=1)) == 0
    assert count(runtime, Outbox) == 2


def test_cancel_stops_what_has_not_gone(runtime):
    for _ in range(4):
        citizen(runtime)
    broadcast_id, _, _ = broadcast(runtime)
    first, second = [r.id for r in outbox(runtime)][:2]
    with runtime.db.transaction() as session:
        session.execute(update(Outbox).where(Outbox.id == first).values(
            channel="zalo", provider="zalo", status="sent"))
        session.execute(update(Outbox).where(Outbox.id == second).values(
            channel="sms", provider="kannel", status="failed"))
    with runtime.db.transaction() as session:
        assert progress(session, broadcast_id) == {"zalo": {"sent": 1}, "sms": {"failed": 1},
                                                   "auto": {"queued": 2}}
        assert cancel(session, broadcast_id, NOW + timedelta(minutes=5)) == 2
    with runtime.db.read() as session:
        assert progress(session, broadcast_id) == {"zalo": {"sent": 1}, "sms": {"failed": 1},
                                                   "auto": {"cancelled": 2}}
    cancelled = outbox(runtime, Outbox.status == "cancelled")
    assert {r.error for r in cancelled} == {"broadcast cancelled"}
    assert {r.updated_at for r in cancelled} == {NOW + timedelta(minutes=5)}
    stored = load(runtime, Broadcast, broadcast_id)
    assert (stored.state, stored.cancelled_at) == ("cancelled", NOW + timedelta(minutes=5))


def test_a_cancelled_scheduled_broadcast_is_never_planned(runtime):
    citizen(runtime)
    broadcast_id, _, _ = broadcast(runtime, at=NOW + timedelta(hours=1))
    with runtime.db.transaction() as session:
        assert cancel(session, broadcast_id, NOW) == 0
    assert plan_due(runtime, NOW + timedelta(hours=2)) == 0
    assert count(runtime, Outbox) == 0
    assert load(runtime, Broadcast, broadcast_id).state == "cancelled"


def test_cancel_and_progress_of_an_unknown_broadcast(runtime):
    with runtime.db.transaction() as session:
        with pytest.raises(BroadcastError, match="no broadcast 4242"):
            cancel(session, 4242, NOW)
        with pytest.raises(BroadcastError, match="no broadcast 4242"):
            progress(session, 4242)


# --- the CLI --------------------------------------------------------------------------------

def invoke(app, *args):
    with app.app_context():   # what `flask --app wsgi …` does for every command
        return app.test_cli_runner().invoke(args=list(args))


def test_cli_broadcast_create_status_cancel(app, runtime):
    for unit in (WARD, BRANCH, OTHER_WARD):
        citizen(runtime, unit)
    made = invoke(app, "broadcast", "create", "--unit", WARD, "--text", "Mời bà con họp tối nay")
    assert made.exit_code == 0, made.output
    [stored] = _broadcasts(runtime)
    broadcast_id = stored.id
    assert made.output == f"broadcast {broadcast_id}: 2 recipient(s), planned, sending now\n"
    assert {r.sms_text for r in outbox(runtime)} == {"Moi ba con hop toi nay"}

    status = invoke(app, "broadcast", "status", str(broadcast_id))
    assert status.exit_code == 0, status.output
    table = {line.split()[0]: line.split()[1:] for line in status.output.splitlines()}
    assert table["channel"] == ["queued", "sending", "sent", "delivered", "failed", "cancelled"]
    assert table["auto"] == ["2", "0", "0", "0", "0", "0"]
    assert table["total"] == ["2", "0", "0", "0", "0", "0"]

    stopped = invoke(app, "broadcast", "cancel", str(broadcast_id))
    assert stopped.exit_code == 0, stopped.output
    assert stopped.output == f"broadcast {broadcast_id} cancelled: 2 message(s) will not be sent\n"
    after = invoke(app, "broadcast", "status", str(broadcast_id))
    assert [line.split()[1:] for line in after.output.splitlines() if line.startswith("total")] == [
        ["0", "0", "0", "0", "0", "2"]]


def test_cli_broadcast_with_a_key_and_a_time(app, runtime):
    citizen(runtime, WARD), citizen(runtime, OTHER_WARD)
    args = ("broadcast", "create", "--unit", PROVINCE, "--text", "Lớp tin học khai giảng",
            "--at", "2099-01-05T08:00", "--key", "k-1")
    first = invoke(app, *args)
    assert first.exit_code == 0, first.output
    [stored] = _broadcasts(runtime)
    assert first.output == (f"broadcast {stored.id}: 2 recipient(s), scheduled, "
                            "sending 2099-01-05T08:00+07:00\n")
    assert stored.send_at == datetime(2099, 1, 5, 8, 0, tzinfo=VN)   # no offset: Vietnam's time
    assert count(runtime, Outbox) == 0
    again = invoke(app, *args)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[0] == (f"broadcast {stored.id} already exists for key 'k-1': "
                                            "nothing new made")
    assert len(_broadcasts(runtime)) == 1


def test_cli_notes_a_long_sms(app, runtime):
    citizen(runtime)
    text = "Hội Khuyến học xã mời bà con tham gia lớp học " + "rất bổ ích " * 20
    made = invoke(app, "broadcast", "create", "--unit", WARD, "--text", text)
    assert made.exit_code == 0, made.output
    assert "note: the SMS form is" in made.output and "2 segments" in made.output


CLI_ERRORS = [
    ("unknown unit", ["broadcast", "create", "--unit", "99999", "--text", "Xin chào"],
     "no unit '99999'"),
    ("empty text", ["broadcast", "create", "--unit", WARD, "--text", " "], "the text is empty"),
    ("bad status", ["broadcast", "create", "--unit", WARD, "--text", "x", "--status", "begun"],
     "'begun' is not one of"),
    ("bad time", ["broadcast", "create", "--unit", WARD, "--text", "x", "--at", "tomorrow"],
     "'tomorrow' is not an ISO time"),
    ("status of nothing", ["broadcast", "status", "4242"], "no broadcast 4242"),
    ("cancel nothing", ["broadcast", "cancel", "4242"], "no broadcast 4242"),
    ("unknown job", ["jobs", "run", "sleep"], "'sleep' is not one of"),
]


@pytest.mark.parametrize("args, message", [c[1:] for c in CLI_ERRORS], ids=[c[0] for c in CLI_ERRORS])
def test_cli_errors_say_what_is_wrong(app, runtime, args, message):
    citizen(runtime)
    result = invoke(app, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert (count(runtime, Broadcast), count(runtime, Outbox)) == (0, 0)


def test_cli_jobs_list_names_every_job(app):
    result = invoke(app, "jobs", "list")
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.output.splitlines()]
    assert listed == list(JOBS)
    assert "reminders of unfinished assessments" in result.output


def test_cli_jobs_run_reminders_as_of_a_time(app, runtime):
    someone = citizen(runtime)
    assessment_id = assessment(runtime, someone, updated=datetime(2026, 12, 4, 8, 0, tzinfo=VN))
    result = invoke(app, "jobs", "run", "reminders", "--now", "2026-12-05T09:00")
    assert result.exit_code == 0, result.output
    assert result.output == "reminders: 1 reminder(s) planned\n"
    [row] = outbox(runtime)
    assert (row.citizen_id, row.kind) == (someone, "reminder")
    assert row.dedup_key.startswith(f"reminder:{assessment_id}:")
    assert row.next_attempt_at == datetime(2026, 12, 5, 9, 0, tzinfo=VN)
    again = invoke(app, "jobs", "run", "reminders", "--now", "2026-12-05T10:00")
    assert again.output == "reminders: 0 reminder(s) planned\n"


def _broadcasts(runtime) -> list[Broadcast]:
    with runtime.db.read() as session:
        return session.scalars(select(Broadcast).order_by(Broadcast.id)).all()


# --- reminders ------------------------------------------------------------------------------

STEPS = [
    ("just now", timedelta(0), 0),
    ("12 hours", timedelta(hours=12), 0),
    ("a minute short of a day", timedelta(days=1, minutes=-1), 0),
    ("one day", timedelta(days=1), 1),
    ("two days", timedelta(days=2), 1),
    ("three days", timedelta(days=3), 2),
    ("seven days", timedelta(days=7), 3),
    ("a month", timedelta(days=30), 3),
]


@pytest.mark.parametrize("silence, step", [c[1:] for c in STEPS], ids=[c[0] for c in STEPS])
def test_step_due(silence, step):
    assert step_due((1, 3, 7), silence) == step
    assert step_due((), silence) == 0


def reminders(runtime) -> list[Outbox]:
    return outbox(runtime, Outbox.kind == "reminder")


def step_of(row: Outbox) -> int:
    return int(row.dedup_key.rsplit(":", 1)[1])


FIRST_RUNS = [
    # label, silence when the job first runs, the one step it plans (None: nothing)
    ("12 hours: too soon", timedelta(hours=12), None),
    ("1 day", timedelta(days=1), 1),
    ("2 days: still the first", timedelta(days=2), 1),
    ("3 days", timedelta(days=3), 2),
    ("after an outage, 5 days: only the second", timedelta(days=5), 2),
    ("7 days", timedelta(days=7), 3),
    ("8 days: the last, within the grace", timedelta(days=8), 3),
    ("a minute short of 9 days", timedelta(days=9, minutes=-1), 3),
    ("9 days: past the grace", timedelta(days=9), None),
    ("10 days: left alone", timedelta(days=10), None),
]


@pytest.mark.parametrize("silence, step", [c[1:] for c in FIRST_RUNS], ids=[c[0] for c in FIRST_RUNS])
def test_a_first_run_plans_at_most_the_latest_step_due(runtime, silence, step):
    assessment_id = assessment(runtime, citizen(runtime))
    assert plan_reminders(runtime, NOW + silence) == (0 if step is None else 1)
    assert [step_of(r) for r in reminders(runtime)] == ([] if step is None else [step])
    if step is not None:
        assert reminders(runtime)[0].dedup_key.startswith(f"reminder:{assessment_id}:")


def test_the_ladder_one_run_after_another(runtime):
    assessment(runtime, citizen(runtime))
    runs = [(timedelta(hours=12), []), (timedelta(days=1), [1]), (timedelta(days=1, hours=1), []),
            (timedelta(days=2), []), (timedelta(days=3), [2]), (timedelta(days=3), []),
            (timedelta(days=7), [3]), (timedelta(days=8), []), (timedelta(days=10), []),
            (timedelta(days=40), [])]
    seen = 0
    for silence, new in runs:
        assert plan_reminders(runtime, NOW + silence) == len(new), silence
        rows = reminders(runtime)
        assert [step_of(r) for r in rows[seen:]] == new, silence
        seen = len(rows)
    assert len({r.dedup_key for r in reminders(runtime)}) == 3


def test_the_reminder_says_how_many_questions_remain(runtime):
    someone = citizen(runtime, birth_year=1958, name="Trần Thị Lan")
    assessment_id = assessment(runtime, someone, answers=3)
    remaining = len(next(g for g in runtime.criteria.groups if g.id == "nguoi_dan").indicators) - 3
    assert remaining == 7
    assert plan_reminders(runtime, NOW + timedelta(days=1)) == 1
    [row] = reminders(runtime)
    assert "còn 7 câu" in row.text and row.text.startswith("Bác ơi")
    assert "con 7 cau" in row.sms_text and row.sms_text.startswith("Bac ")
    assert row.sms_text.isascii()
    assert row.template_data == {"name": "Trần Thị Lan", "remaining": "7"}
    assert (row.channel, row.provider, row.address) == ("auto", "auto", "")
    assert (row.kind, row.priority, row.status, row.citizen_id) == ("reminder", 5, "queued", someone)
    since = int(NOW.timestamp())
    assert row.dedup_key == f"reminder:{assessment_id}:{since}:1"
    assert (row.broadcast_id, row.next_attempt_at) == (None, NOW + timedelta(days=1))


def test_a_young_citizen_is_addressed_as_such(runtime):
    assessment(runtime, citizen(runtime, birth_year=1995), answers=9)
    plan_reminders(runtime, NOW + timedelta(days=1))
    [row] = reminders(runtime)
    assert row.text.startswith("Anh/chị ơi") and "còn 1 câu" in row.text


def test_a_reply_starts_a_new_ladder(runtime):
    assessment_id = assessment(runtime, citizen(runtime), answers=3)
    assert plan_reminders(runtime, NOW + timedelta(days=1)) == 1
    replied = NOW + timedelta(days=1, hours=2)   # the reminder worked: one more answer
    indicator = runtime.criteria.groups[0].indicators[3].id
    with runtime.db.transaction() as session:
        session.add(Answer(assessment_id=assessment_id, indicator=indicator, option=2, points=7,
                           raw_text="2", answered_at=replied))
        session.get(Assessment, assessment_id).updated_at = replied
    assert plan_reminders(runtime, replied + timedelta(hours=3)) == 0   # silence starts again
    assert plan_reminders(runtime, replied + timedelta(days=1)) == 1
    assert plan_reminders(runtime, NOW + timedelta(days=3)) == 0   # the old ladder's step 2: gone
    assert plan_reminders(runtime, replied + timedelta(days=3)) == 1
    first, second, third = reminders(runtime)
    since = int(replied.timestamp())
    assert [second.dedup_key, third.dedup_key] == [f"reminder:{assessment_id}:{since}:1",
                                                   f"reminder:{assessment_id}:{since}:2"]
    assert first.dedup_key == f"reminder:{assessment_id}:{int(NOW.timestamp())}:1"
    assert "còn 7 câu" in first.text and "còn 6 câu" in second.text


NO_REMINDER = [
    ("completed", {}, {"status": "completed", "answers": 10}),
    ("every question answered", {}, {"answers": 10}),
    ("opted out", {"opted_out": True}, {}),
    ("refused consent", {"consent": False}, {}),
    ("not registered", {"registered": False}, {}),
    ("last year's", {}, {"period": 2025}),
]


@pytest.mark.parametrize("who, which", [c[1:] for c in NO_REMINDER], ids=[c[0] for c in NO_REMINDER])
def test_no_reminder(runtime, who, which):
    assessment(runtime, citizen(runtime, **who), **which)
    reminded = assessment(runtime, citizen(runtime))   # beside them, one who is reminded
    for days in (1, 3, 7):
        plan_reminders(runtime, NOW + timedelta(days=days))
    assert {r.dedup_key.split(":")[1] for r in reminders(runtime)} == {str(reminded)}
    assert len(reminders(runtime)) == 3


LADDER_SETTINGS = [
    ("none", "", {1: 0, 3: 0, 7: 0}),
    ("one rung at 2 days", "2", {1: 0, 2: 1, 3: 0}),
    ("1 and 14 days", "1,14", {1: 1, 7: 0, 14: 1, 15: 0}),
]


@pytest.mark.parametrize("days, planned", [c[1:] for c in LADDER_SETTINGS],
                         ids=[c[0] for c in LADDER_SETTINGS])
def test_the_ladder_follows_cdht_reminder_days(make_app, days, planned):
    runtime = make_app(reminder_days=days).extensions["cdht"]
    assessment(runtime, citizen(runtime))
    for day, expected in planned.items():
        assert plan_reminders(runtime, NOW + timedelta(days=day)) == expected, day


def test_run_job_records_the_run(runtime):
    assessment(runtime, citizen(runtime))
    runtime.outbox_waiting.clear()
    at = NOW + timedelta(days=1)
    assert run_job(runtime, "reminders", at) == "1 reminder(s) planned"
    assert runtime.outbox_waiting.is_set()   # the dispatcher is woken
    run = load(runtime, JobRun, "reminders")
    assert (run.result, run.error) == ("1 reminder(s) planned", None)
    assert run.finished_at is not None and run.finished_at >= run.started_at
    runtime.outbox_waiting.clear()
    assert run_job(runtime, "reminders", at) == "0 reminder(s) planned"
    assert not runtime.outbox_waiting.is_set()
    assert count(runtime, JobRun) == 1   # one row per job, the last run
    assert len(reminders(runtime)) == 1


def test_run_job_records_a_failure(runtime, monkeypatch):
    def broken(runtime, now):
        raise RuntimeError("database gone")
    monkeypatch.setitem(JOBS, "reminders", Job(broken, JOBS["reminders"].trigger, "broken"))
    with pytest.raises(RuntimeError):
        run_job(runtime, "reminders", NOW)
    run = load(runtime, JobRun, "reminders")
    assert run.result is None and "database gone" in run.error
    assert run.finished_at is not None


# --- course reminders -----------------------------------------------------------------------

COURSE_STARTS = datetime(2026, 11, 23, 8, 0, tzinfo=VN)


def course(runtime, starts_at: datetime = COURSE_STARTS, **answers: bool) -> int:
    """A course at the ward; `answers`: citizen id (as "c<id>") → coming."""
    with runtime.db.transaction() as session:
        row = Course(unit_id=unit_id(session, WARD), title="Tin học cho người cao tuổi",
                     place="Nhà văn hóa thôn Đông", starts_at=starts_at,
                     ends_at=starts_at + timedelta(hours=2), indicators=["dien_thoai"],
                     created_at=NOW - timedelta(days=7))
        session.add(row)
        session.flush()
        for key, coming in answers.items():
            session.add(CourseSignup(course_id=row.id, citizen_id=int(key[1:]), coming=coming,
                                     answered_at=NOW - timedelta(days=3)))
        return row.id


def test_the_day_before_a_course_those_coming_are_reminded(runtime):
    yes, no = citizen(runtime), citizen(runtime)
    gone = citizen(runtime, opted_out=True)
    course_id = course(runtime, **{f"c{yes}": True, f"c{no}": False, f"c{gone}": True})
    assert plan_course_reminders(runtime, NOW) == 1
    [row] = outbox(runtime)
    assert (row.citizen_id, row.kind, row.priority, row.channel) == (yes, "course", 5, "auto")
    assert row.dedup_key == f"course:{course_id}:{yes}:eve"
    assert "Tin học cho người cao tuổi" in row.text and "Nhà văn hóa thôn Đông" in row.text
    assert "08:00 23/11/2026" in row.text
    assert row.sms_text.isascii() and "Tin hoc cho nguoi cao tuoi" in row.sms_text
    assert row.template_data["start"] == "08:00 23/11/2026"
    assert plan_course_reminders(runtime, NOW + timedelta(hours=5)) == 0
    assert count(runtime, Outbox) == 1


WHEN = [
    # label, when the job runs, course start, planned
    ("the day before, morning", NOW, COURSE_STARTS, 1),
    ("the day before, just after midnight (17:30 UTC the day before that)",
     datetime(2026, 11, 21, 17, 30, tzinfo=timezone.utc), COURSE_STARTS, 1),
    ("the day before, 23:59", datetime(2026, 11, 22, 23, 59, tzinfo=VN), COURSE_STARTS, 1),
    ("two days before", NOW - timedelta(days=1), COURSE_STARTS, 0),
    ("two days before, 23:59", datetime(2026, 11, 21, 23, 59, tzinfo=VN), COURSE_STARTS, 0),
    ("on the day", datetime(2026, 11, 23, 6, 0, tzinfo=VN), COURSE_STARTS, 0),
    ("late tomorrow evening", NOW, datetime(2026, 11, 23, 23, 30, tzinfo=VN), 1),
    ("midnight after tomorrow", NOW, datetime(2026, 11, 24, 0, 0, tzinfo=VN), 0),
    ("midnight starting tomorrow", NOW, datetime(2026, 11, 23, 0, 0, tzinfo=VN), 1),
]


@pytest.mark.parametrize("now, starts_at, planned", [c[1:] for c in WHEN], ids=[c[0] for c in WHEN])
def test_a_course_reminder_goes_on_the_vietnamese_day_before(runtime, now, starts_at, planned):
    yes = citizen(runtime)
    course(runtime, starts_at, **{f"c{yes}": True})
    assert plan_course_reminders(runtime, now) == planned
    assert count(runtime, Outbox, Outbox.kind == "course") == planned


# --- the sessions job -----------------------------------------------------------------------

def session_row(runtime, citizen_id: int, position: dict, idle: timedelta) -> int:
    with runtime.db.transaction() as session:
        row = ConversationSession(citizen_id=citizen_id, position=position, updated_at=NOW - idle)
        session.add(row)
        session.flush()
        return row.id


def test_idle_sessions_forget_their_open_question(runtime):
    expiry = timedelta(days=runtime.settings.session_expiry_days)
    asking = {"flow": "assessment", "step": "x", "pending": "delete"}
    old = session_row(runtime, citizen(runtime), asking, expiry + timedelta(hours=1))
    listing = session_row(runtime, citizen(runtime),
                          {"flow": "registration", "step": "unit", "candidates": ["11953"],
                           "query": "pho hien"}, expiry * 2)
    recent = session_row(runtime, citizen(runtime), asking, expiry - timedelta(hours=1))
    quiet = session_row(runtime, citizen(runtime), {"flow": "assessment", "step": "y"}, expiry * 3)

    assert expire_sessions(runtime, NOW) == "2 idle session(s) closed their open question"
    assert load(runtime, ConversationSession, old).position == {"flow": "assessment", "step": "x"}
    assert load(runtime, ConversationSession, listing).position == {"flow": "registration",
                                                                    "step": "unit"}
    assert load(runtime, ConversationSession, recent).position == asking
    assert load(runtime, ConversationSession, quiet).position == {"flow": "assessment", "step": "y"}
    assert run_job(runtime, "sessions", NOW) == "0 idle session(s) closed their open question"
    assert load(runtime, JobRun, "sessions").error is None
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ConversationSession)) == 4
