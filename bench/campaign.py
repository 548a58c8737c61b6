"""Benchmark: an officer announcing to a whole province of 565,625 citizens, on
PostgreSQL — the composer's preview (recipients, split by channel, cost), a course's
preview with the weak-indicator matching, and planning the broadcast (plain: one INSERT …
SELECT; with placeholders: rendered per citizen in Python).

    .venv/bin/python bench/campaign.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cdht_bench_console

The database must hold bench/console_population.py's load (bench/console.py --load makes
it). The previews go through the Flask test client as "bench_tinh" (officer of the
province): the whole WSGI stack in this process, without the network. Each is asked once
to warm up, then --runs times (median, max). Planning is timed once per kind inside one
transaction that is rolled back, so the database is left as it was.
"""

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.engine import make_url

from serving import machine
from console import logged_in, make_app, population
from console_population import COMMUNE, PROVINCE

from bot.outreach.broadcasts import create  # noqa: E402  (serving put the project on the path)
from storage.models import Course, Unit  # noqa: E402

TEXT = "Kính mời bà con dự lễ khai mạc Tuần lễ hưởng ứng học tập suốt đời."
PERSONAL = "{Xung_ho} ơi, Tuần lễ học tập suốt đời đã khai mạc. {Xung_ho} {tien_do}, nhắn TIẾP nhé."


def timed_post(client, path, form, runs):
    token = client.get("/admin/broadcasts/new").get_data(as_text=True).split(
        'name="csrf_token" value="', 1)[1].split('"', 1)[0]
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.post(path, data={"csrf_token": token, **form})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return times[0], statistics.median(times[1:]), max(times[1:])


def course_of(app, unit_filter) -> tuple[int, str]:
    """A course of the unit (made once), with the unit's code."""
    runtime = app.extensions["cdht"]
    with runtime.db.transaction() as session:
        unit = session.scalars(select(Unit).where(unit_filter)).one()
        found = session.scalars(select(Course).where(Course.title == "bench",
                                                     Course.unit_id == unit.id)).first()
        if found:
            return found.id, unit.code
        now = datetime.now(timezone.utc)
        course = Course(unit_id=unit.id, title="bench", place="bench", starts_at=now + timedelta(days=9),
                        ends_at=now + timedelta(days=9, hours=2), indicators=["dien_thoai", "cong_nghe"],
                        created_at=now)
        session.add(course)
        session.flush()
        return course.id, unit.code


def plan_seconds(app, text) -> tuple[float, int]:
    runtime = app.extensions["cdht"]
    session = runtime.db.sessions()
    try:
        started = time.perf_counter()
        made = create(session, PROVINCE, text, datetime.now(timezone.utc), runtime=runtime,
                      key=f"bench-{time.time_ns()}")
        session.flush()
        return time.perf_counter() - started, made.recipients
    finally:
        session.rollback()
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plan", action="store_true", help="also time planning (minutes)")
    args = parser.parse_args()
    if make_url(args.database_url).get_backend_name() != "postgresql":
        raise SystemExit("give a postgresql+psycopg:// URL")
    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}")
    app = make_app(args.database_url)
    try:
        print(f"database: {population(app)}")
        for officer, where in (("bench_tinh", Unit.code == PROVINCE), ("bench_xa", Unit.name == COMMUNE)):
            client = logged_in(app, officer)
            course, code = course_of(app, where)
            cases = (("preview, everyone", {"unit": code, "text": TEXT, "status": "all"}),
                     ("preview, unfinished", {"unit": code, "text": TEXT, "status": "unfinished"}),
                     ("preview, personal text", {"unit": code, "text": PERSONAL, "status": "all"}),
                     ("preview, course (weak on 2 indicators)",
                      {"unit": code, "text": TEXT, "status": "all", "course": str(course), "weak_only": "1"}))
            print(f"unit {code}, officer {officer}; seconds (first, median, max of {args.runs})")
            for label, form in cases:
                first, median, most = timed_post(client, "/admin/broadcasts/preview", form, args.runs)
                print(f"  {label:<40} {first:6.3f} {median:6.3f} {most:6.3f}")
        counter = timed_post(client, "/admin/broadcasts/count", {"text": PERSONAL}, 20)
        print(f"  {'counter (each keystroke)':<40} {counter[0]:6.3f} {counter[1]:6.3f} {counter[2]:6.3f}")
        if args.plan:
            for label, text in (("plain", TEXT), ("personal", PERSONAL)):
                seconds, rows = plan_seconds(app, text)
                print(f"  planning, {label:<30} {seconds:6.1f} s for {rows:,} rows "
                      f"({rows / seconds:,.0f} rows/s; rolled back)")
    finally:
        app.extensions["cdht"].dispose()


if __name__ == "__main__":
    main()
