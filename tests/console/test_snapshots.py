"""Figures of big subtrees come from a snapshot (bot/console/snapshots.py): the same
numbers as counted live, with the time they were counted; an officer's decision or a
change of units shows at once; citizens' activity when the scheduler's `figures` job
counts again; a commune is always counted live. Here "big" is 3 citizens."""

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from bot.config import ConfigError, Settings
from bot.console import audit, snapshots
from bot.console.figures import FIRST_PERIOD
from bot.console.tally import VIETNAM
from bot.jobs.schedule import run_job
from storage.models import Assessment, Campaign, FigureSnapshot, Unit

from .conftest import PASS, THIS_YEAR, add_citizen

BIG = 3


@pytest.fixture
def app(make_app):
    return make_app(figures_snapshot_from=BIG)


@pytest.fixture
def province(runtime, officers):
    """Four citizens of the test province: two passed (9001, 9002), one in progress, one
    not started: a big subtree; each commune alone is not."""
    people = {"an": citizen(runtime, "9001", "Nguyễn Văn An", points=PASS),
              "binh": citizen(runtime, "9002", "Trần Thị Bình", points=PASS),
              "cuc": citizen(runtime, "9001", "Lê Thị Cúc", points=PASS, answered=4)}
    people["dung"] = citizen(runtime, "9002", "Phạm Văn Dũng")
    return people


def citizen(*args, **kwargs):
    """Registered an hour ago (this year, even just after midnight on 1 January) and
    assessed this year: the pages here read the real clock."""
    now = datetime.now(VIETNAM)
    registered = max(now - timedelta(hours=1), datetime(now.year, 1, 1, tzinfo=VIETNAM))
    return add_citizen(*args, period=THIS_YEAR, registered=registered, **kwargs)


def signed_in(runtime, client_as, username: str):
    """A logged-in client, without the snapshot its login's first page kept."""
    client = client_as(username)
    with runtime.db.transaction() as session:
        session.execute(delete(FigureSnapshot))
    return client


def stored(runtime) -> list[FigureSnapshot]:
    with runtime.db.read() as session:
        return session.scalars(select(FigureSnapshot).order_by(FigureSnapshot.id)).all()


def figures(client, **args) -> dict:
    response = client.get("/admin/dashboard.json", query_string=args)
    assert response.status_code == 200
    return response.get_json()


def later(minutes: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def age(runtime, minutes: float) -> None:
    """Every snapshot counted `minutes` earlier than it was."""
    with runtime.db.transaction() as session:
        for kept in session.scalars(select(FigureSnapshot)):
            kept.computed_at -= timedelta(minutes=minutes)


def test_a_big_subtree_reads_its_snapshot_until_the_job_counts_again(runtime, client_as, province):
    client = signed_in(runtime, client_as, "tinh")
    first = figures(client)
    assert first["as_of"] is None and first["totals"]["registered"] == 4   # counted live, kept
    [kept] = stored(runtime)
    assert (kept.citizens, kept.period, kept.audit_mark) == (4, datetime.now(VIETNAM).year, 0)

    citizen(runtime, "9001", "Võ Thị Em")                                 # a citizen registers
    again = figures(client)
    assert again["as_of"] == kept.computed_at.isoformat()
    assert again["totals"] == first["totals"]                             # not yet
    page = client.get("/admin/").get_data(as_text=True)
    assert f"Số liệu lúc {kept.computed_at.astimezone(VIETNAM):%d/%m/%Y %H:%M}" in page

    age(runtime, 6)
    assert run_job(runtime, "figures") == "1 snapshot(s) counted again"
    counted = figures(client)
    assert counted["totals"]["registered"] == 5 and counted["as_of"] is not None
    assert run_job(runtime, "figures") == "0 snapshot(s) counted again"   # fresh


def test_a_snapshot_gives_the_numbers_counting_live_gives(make_app, runtime, client_as, province):
    client = client_as("tinh")
    figures(client)                                                       # keeps the snapshot
    from_snapshot = figures(client)
    assert from_snapshot["as_of"] is not None
    live_app = make_app(figures_snapshot_from=0)                          # same database
    live = live_app.test_client()
    with client.session_transaction() as theirs, live.session_transaction() as ours:
        ours.update(theirs)
    counted = live.get("/admin/dashboard.json").get_json()
    assert counted["as_of"] is None
    assert {**from_snapshot, "as_of": None} == counted
    report = [r.get_data(as_text=True).splitlines()[2:]
              for r in (client.get("/admin/reports/counts.csv"), live.get("/admin/reports/counts.csv"))]
    assert report[0] == report[1] and len(report[0]) > 8


def live_figures(make_app, client, path="/admin/dashboard.json", **args):
    """What `client`'s officer would see with snapshots off (another app, same database)."""
    live = make_app(figures_snapshot_from=0).test_client()
    with client.session_transaction() as theirs, live.session_transaction() as ours:
        ours.update(theirs)
    return live.get(path, query_string=args)


def test_an_officers_decision_shows_at_once(make_app, runtime, client_as, province):
    tinh = signed_in(runtime, client_as, "tinh")
    assert figures(tinh)["totals"]["recognised"] == 0
    [kept] = stored(runtime)
    answer = client_as("xa").post_form(f"/admin/assessments/{province['an'].assessment_id}/approve")
    assert answer.status_code == 303
    seen = figures(tinh)
    assert seen["totals"]["recognised"] == 1            # its unit counted again on the read
    assert seen["as_of"] == kept.computed_at.isoformat() # the rest from the snapshot
    assert {**seen, "as_of": None} == live_figures(make_app, tinh).get_json()
    assert [s.computed_at for s in stored(runtime)] == [kept.computed_at]   # not kept again


def test_a_decision_elsewhere_leaves_the_snapshot_alone(runtime, client_as, province):
    far = citizen(runtime, "9101", "Hoàng Văn Xa", points=PASS)
    tinh = signed_in(runtime, client_as, "tinh")
    before = figures(tinh)
    assert client_as("khac").post_form(f"/admin/assessments/{far.assessment_id}/approve").status_code == 303
    assert figures(tinh) == {**before, "as_of": stored(runtime)[0].computed_at.isoformat()}
    assert figures(signed_in(runtime, client_as, "khac"))["totals"]["recognised"] == 1


def test_many_units_decided_on_count_everything_again(monkeypatch, runtime, client_as, province):
    monkeypatch.setattr(snapshots, "PATCH_AT_MOST", 1)
    tinh = signed_in(runtime, client_as, "tinh")
    figures(tinh)
    xa = client_as("xa")
    xa.post_form(f"/admin/assessments/{province['an'].assessment_id}/approve")
    client_as("tinh").post_form(f"/admin/assessments/{province['binh'].assessment_id}/approve")
    seen = figures(tinh)                                  # 9001 and 9002: over the limit
    assert seen["as_of"] is None and seen["totals"]["recognised"] == 2
    with runtime.db.transaction() as session:            # both decisions past IN_FLIGHT
        for person in ("an", "binh"):
            session.get(Assessment, province[person].assessment_id).decided_at -= timedelta(minutes=1)
    assert figures(tinh)["as_of"] is not None             # kept again


@pytest.mark.parametrize("before, counted_again", [(timedelta(seconds=5), True),
                                                    (timedelta(seconds=30), False)])
def test_a_decision_committed_during_the_count_is_counted_again(runtime, client_as, province,
                                                                before, counted_again):
    """A decision dated just before the snapshot's count began may have been committed
    after the count read the table: within snapshots.IN_FLIGHT its unit is counted again;
    one dated earlier is taken to be in the snapshot already."""
    tinh = signed_in(runtime, client_as, "tinh")
    figures(tinh)
    [kept] = stored(runtime)
    with runtime.db.transaction() as session:
        decided = session.get(Assessment, province["an"].assessment_id)
        decided.decision, decided.decided_by = "approved", "xa"
        decided.decided_at = kept.computed_at - before
    assert figures(tinh)["totals"]["recognised"] == (1 if counted_again else 0)


def test_a_running_campaign_is_kept_with_its_window(make_app, runtime, client_as, province):
    today = datetime.now(VIETNAM).date()
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "90"))
        session.add(Campaign(name="Tuần lễ học tập suốt đời", unit_id=unit_id,
                             starts_on=max(today - timedelta(days=30), date(today.year, 1, 1)),
                             ends_on=today + timedelta(days=3),
                             created_at=datetime.now(timezone.utc)))
    tinh = signed_in(runtime, client_as, "tinh")
    tinh.get("/admin/")
    [kept] = stored(runtime)
    assert kept.window_starts is not None
    snapshot_page = tinh.get("/admin/").get_data(as_text=True)
    live_page = live_figures(make_app, tinh, "/admin/").get_data(as_text=True)
    assert "Số liệu lúc" in snapshot_page and "Số liệu lúc" not in live_page
    during = re.compile(r'data-(?:during|year)="(\w+)">([\d.]+)<')
    assert during.findall(snapshot_page) == during.findall(live_page)
    assert ("registered", "4") in during.findall(snapshot_page)


# Every audited action, and whether it voids every snapshot. A new action must be placed
# here: one that changes who counts where must void them all (add its prefix to
# snapshots.VOIDING); a recognition decision is found through the assessment's
# decided_at instead (the tests above).
VOIDS = {"unit.import_admin", "unit.import_file", "unit.move", "unit.merge"}
KEEPS = {"login.locked", "officer.create", "officer.update", "officer.password", "officer.unlock",
         "recognition.approve", "recognition.return", "broadcast.create", "broadcast.cancel",
         "broadcast.test", "campaign.create", "course.create", "course.update"}


def test_every_audited_action_is_known_to_void_snapshots_or_not():
    assert set(audit.ACTIONS) == VOIDS | KEEPS, "a new audit action: does it change figures?"
    assert {a for a in audit.ACTIONS if a.startswith(snapshots.VOIDING)} == VOIDS


@pytest.mark.parametrize("action", sorted(audit.ACTIONS))
def test_what_voids_a_snapshot(runtime, client_as, province, action):
    client = client_as("tinh")
    figures(client)
    assert figures(client)["as_of"] is not None
    with runtime.db.transaction() as session:
        audit.record(session, "tinh", action, "unit 90", datetime.now(timezone.utc))
    assert (figures(client)["as_of"] is None) == (action in VOIDS)


def test_a_commune_is_counted_live_and_never_kept(runtime, client_as, province):
    client = client_as("xa")
    for _ in range(2):
        assert figures(client)["as_of"] is None
    assert stored(runtime) == []
    assert figures(signed_in(runtime, client_as, "tinh"), unit="9002")["as_of"] is None  # 2: live
    assert stored(runtime) == []


def test_an_old_snapshot_is_not_used(runtime, client_as, province):
    """No scheduler running: after 15 minutes the next view counts again."""
    client = signed_in(runtime, client_as, "tinh")
    figures(client)
    age(runtime, 16)
    assert figures(client)["as_of"] is None
    assert figures(client)["as_of"] is not None


def test_each_unit_period_and_campaign_window_has_its_own(runtime, client_as, province):
    admin = signed_in(runtime, client_as, "quantri")
    year = datetime.now(VIETNAM).year
    figures(admin)                                 # everything
    figures(admin, unit="90")
    figures(admin, unit="90", period=FIRST_PERIOD)  # registered later: nobody, not kept
    keys = [s.key for s in stored(runtime)]
    assert len(keys) == 2 and keys[0].startswith("*:") and keys[1].split(":")[:2] == [
        str(stored(runtime)[1].unit_id), str(year)]
    week = (datetime(2026, 10, 1, tzinfo=VIETNAM), datetime(2026, 10, 8, tzinfo=VIETNAM))
    assert len({snapshots.key_of(7, 2026, None), snapshots.key_of(7, 2026, week),
                snapshots.key_of(7, 2025, None), snapshots.key_of(None, 2026, None)}) == 4


def test_the_job_drops_what_nobody_reads_and_units_merged_away(runtime, client_as, province):
    citizen(runtime, "9002", "Đỗ Văn Giang")
    client = signed_in(runtime, client_as, "tinh")
    figures(client)
    figures(client, unit="9002")                   # 3 citizens: kept too
    assert len(stored(runtime)) == 2
    assert client.post_form("/admin/units/9002/merge", {"target": "9001"}).status_code == 302
    assert run_job(runtime, "figures") == "1 snapshot(s) counted again, 1 dropped"
    [left] = stored(runtime)
    assert left.citizens == 5
    assert run_job(runtime, "figures", later(3 * 24 * 60)) == "0 snapshot(s) counted again"
    assert stored(runtime) == []                   # unread for two days


def test_the_report_says_when_its_figures_were_counted(runtime, client_as, province):
    client = client_as("tinh")
    figures(client)
    age(runtime, 10)
    [kept] = stored(runtime)
    heading = client.get("/admin/reports/counts.csv").get_data(as_text=True).splitlines()[1]
    # "(số liệu lúc 09:50)", or with the day when it was the day before (Vietnam time)
    assert f"(số liệu lúc {kept.computed_at.astimezone(VIETNAM):%H:%M}" in heading


def test_the_setting_cannot_be_negative():
    assert Settings(figures_snapshot_from=0).check()
    with pytest.raises(ConfigError, match="CDHT_FIGURES_SNAPSHOT_FROM"):
        Settings(figures_snapshot_from=-1).check()


def test_turned_off_they_are_dropped(make_app, runtime, client_as, province):
    figures(signed_in(runtime, client_as, "tinh"))
    assert len(stored(runtime)) == 1
    off = make_app(figures_snapshot_from=0).extensions["cdht"]
    assert run_job(off, "figures", later(10)) == "0 snapshot(s) counted again, 1 dropped"
    assert stored(runtime) == []


def test_the_job_counts_again_only_what_was_read_lately(runtime, client_as, province):
    figures(signed_in(runtime, client_as, "tinh"))
    age(runtime, 6)
    with runtime.db.transaction() as session:
        for kept in session.scalars(select(FigureSnapshot)):
            kept.read_at -= timedelta(minutes=40)
    assert run_job(runtime, "figures") == "0 snapshot(s) counted again"
    assert len(stored(runtime)) == 1              # kept until unread for two days
