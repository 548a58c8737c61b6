"""Benchmark: the officer console's dashboard and reports for a whole province of 565,625
citizens (and for one commune), on PostgreSQL. Target: each answers within 1 s.

    .venv/bin/python bench/console.py --load \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cdht_bench_console
    .venv/bin/python bench/console.py --explain \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cdht_bench_console

--load first fills the database with bench/console_population.py (wiped, never "test";
its time is printed, it is not a target); without it the database must hold that load.
Each request goes through the Flask app's test client: the whole WSGI stack in this
process (routing, login cookie, CSRF-free GETs, scope, queries, templates, XLSX/CSV
building), without the network and gunicorn in front. Logged in as "bench_tinh" (officer
of the province) and "bench_xa" (officer of Xã Tiên Lữ), each of the six URLs is asked
once to warm up (printed as "first"), then --runs times: median and max wall time, the
size of the answer, and how busy the whole machine was meanwhile (every process, as a
share of its cores: other work on the machine shows there). --explain prints EXPLAIN (ANALYZE, BUFFERS) of the aggregate query
and of the recognised list for the province.
"""

import argparse
import os
import re
import statistics
import time

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from serving import machine, machine_busy_seconds
from console_population import BENCH_PASSWORD, CITIZENS, COMMUNE, PERIOD, PROVINCE, load

from storage.models import Answer, Assessment, Citizen, Unit  # noqa: E402  (serving put the project on the path)

PATHS = ("/admin/", "/admin/dashboard.json", "/admin/reports/counts.xlsx",
         "/admin/reports/counts.csv", "/admin/reports/recognised.xlsx",
         "/admin/reports/recognised.csv")
TARGET = 1.0


def make_app(url: str, snapshots: bool = True):
    from bot.app import create_app
    return create_app({"database_url": url, "console": True, "embedded_workers": False,
                       "criteria_dir": None, "figures_snapshot_from": 50_000 if snapshots else 0})


def forget_snapshots(app) -> None:
    from storage.models import FigureSnapshot
    with app.extensions["cdht"].db.transaction() as session:
        session.execute(delete(FigureSnapshot))


def refresh_job(app) -> str:
    """The scheduler's `figures` job on the snapshots the runs left, all made due."""
    from bot.console.figures import refresh_snapshots
    from datetime import datetime, timedelta, timezone
    runtime = app.extensions["cdht"]
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    started = time.perf_counter()
    result = refresh_snapshots(runtime, later)
    return f"{result} in {time.perf_counter() - started:.2f} s"


def logged_in(app, username: str):
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/admin/login", data={"username": username, "password": BENCH_PASSWORD,
                                               "csrf_token": token})
    if answer.status_code != 302:
        raise SystemExit(f"cannot log in as {username}: load the database with --load first")
    return client


def timed(client, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path, query_string={"period": PERIOD})
    body = response.get_data()
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {body[:300]!r}")
    return seconds, len(body)


def measure(client, runs: int) -> list[dict]:
    """Per URL: the first answer's time, then `runs` more; and how busy the whole machine
    was meanwhile (all processes, ours and others', as a share of its cores)."""
    results = []
    for path in PATHS:
        busy, started = machine_busy_seconds(), time.perf_counter()
        first, size = timed(client, path)
        times = [timed(client, path)[0] for _ in range(runs)]
        share = (machine_busy_seconds() - busy) / ((time.perf_counter() - started) * os.cpu_count())
        results.append({"path": path, "first": first, "median": statistics.median(times),
                        "max": max(times), "size": size, "busy": share})
    return results


def show(label: str, results: list[dict]) -> None:
    print(f"\n{label}")
    print(f"  {'':32} {'first':>8} {'median':>8} {'max':>8} {'size':>10} {'machine busy':>13}")
    for r in results:
        mark = "" if r["max"] <= TARGET else "   over 1 s"
        print(f"  {r['path']:32} {r['first']:8.3f} {r['median']:8.3f} {r['max']:8.3f} "
              f"{r['size'] / 1024:8.0f} kB {r['busy']:12.0%}{mark}")


def population(app) -> str:
    from storage.standing import RECOGNISED
    runtime = app.extensions["cdht"]
    with runtime.db.read() as session:
        count = lambda query: session.scalar(query)   # noqa: E731
        citizens = count(select(func.count()).select_from(Citizen))
        assessments = count(select(func.count()).select_from(Assessment))
        answers = count(select(func.count()).select_from(Answer))
        recognised = count(select(func.count()).select_from(Assessment).where(RECOGNISED))
        communes = count(select(func.count()).select_from(Unit).where(Unit.path.like(f"/{PROVINCE}/%")))
    return (f"{citizens:,} citizens, {assessments:,} assessments, {answers:,} answers, "
            f"{recognised:,} recognised, {communes} units in the province")


def explain(app) -> None:
    """The plans of the two queries that read the whole province."""
    from bot.console import figures, reports
    from bot.console.scope import Scope
    runtime = app.extensions["cdht"]
    competences = list(figures.competence_names(runtime.criteria_sets, runtime.criteria))
    with runtime.db.read() as session:
        province = session.scalars(select(Unit).where(Unit.code == PROVINCE)).one()
        scope = Scope(province.path, province.id)
        figures.tune(session)   # as the pages do
        for label, query in (("aggregate", figures.aggregate(scope, province, PERIOD, competences)),
                             ("recognised list", reports.recognised_query(scope, province, PERIOD))):
            compiled = query.compile(dialect=session.bind.dialect)
            plan = session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params).scalars().all()
            print(f"\n-- {label}\n" + "\n".join(plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL of the bench database")
    parser.add_argument("--load", action="store_true", help="wipe and load it first")
    parser.add_argument("--citizens", type=int, default=CITIZENS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    args = parser.parse_args()
    if make_url(args.database_url).get_backend_name() != "postgresql":
        raise SystemExit("the target is PostgreSQL's: give a postgresql+psycopg:// URL")
    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}")
    if args.load:
        done = load(args.database_url, args.citizens)
        print(f"load: {done['citizens']:,} citizens, {done['assessments']:,} assessments, "
              f"{done['answers']:,} answers over {done['units']} units in {done['load_seconds']:.1f} s "
              f"(+{done['prepare_seconds']:.1f} s to create, migrate and seed)")
    from storage import migrate
    migrate.upgrade(args.database_url)    # a database loaded before the newest migration
    live, app = make_app(args.database_url, snapshots=False), make_app(args.database_url)
    try:
        print(f"database: {population(app)}")
        if args.explain:
            explain(app)
        show(f"province ({PROVINCE}, officer bench_tinh), counted live (CDHT_FIGURES_SNAPSHOT_FROM=0), "
             f"seconds over {args.runs} runs", measure(logged_in(live, "bench_tinh"), args.runs))
        forget_snapshots(app)
        show(f"province, with snapshots (the default): \"first\" counts and keeps one, "
             f"seconds over {args.runs} runs", measure(logged_in(app, "bench_tinh"), args.runs))
        print(f"  the scheduler's figures job: {refresh_job(app)}")
        show(f"commune ({COMMUNE}, officer bench_xa), always live, seconds over {args.runs} runs",
             measure(logged_in(app, "bench_xa"), args.runs))
    finally:
        for each in (live, app):
            each.extensions["cdht"].dispose()


if __name__ == "__main__":
    main()
