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
share of its cores: other work on the machine shows there). The province is timed twice:
counted live (CDHT_FIGURES_SNAPSHOT_FROM=0), then with snapshots (the default; "first"
counts and keeps one), and the scheduler's `figures` job once. Then, as officers really
get it (--served, 20 s by default): gunicorn with 2 sync workers on the same database and
--clients (4) officers of the province asking for the dashboard at once, live and with
snapshots. --explain prints EXPLAIN (ANALYZE, BUFFERS) of the aggregate query and of the
recognised list for the province.
"""

import argparse
import os
import re
import statistics
import tempfile
import threading
import time

import requests

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from serving import (free_port, machine, machine_busy_seconds, start_gunicorn, stop, tail,
                     wait_healthy)
from console_population import BENCH_PASSWORD, CITIZENS, COMMUNE, PERIOD, PROVINCE, load

from storage.models import Answer, Assessment, Citizen, Unit  # noqa: E402  (serving put the project on the path)

PATHS = ("/admin/", "/admin/dashboard.json", "/admin/reports/counts.xlsx",
         "/admin/reports/counts.csv", "/admin/reports/recognised.xlsx",
         "/admin/reports/recognised.csv")
TARGET = 1.0


def make_app(url: str, snapshots: bool = True):
    from bot.app import create_app
    return create_app({"database_url": url, "console": True, "embedded_workers": False,
                       "criteria_dir": None,
                       "figures_snapshot_from": 50_000 if snapshots else 0})


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


def officer_session(base: str, username: str) -> requests.Session:
    client = requests.Session()
    page = client.get(f"{base}/admin/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(f"{base}/admin/login", data={"username": username, "csrf_token": token,
                                                      "password": BENCH_PASSWORD},
                         allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise SystemExit(f"cannot log in as {username} over HTTP: {answer.status_code}")
    return client


def served(app, url: str, clients: int, seconds: float, snapshots: bool) -> dict:
    """The province's dashboard as officers get it: gunicorn (2 sync workers, as
    operations.md serves it) on this database, `clients` officers each asking for
    /admin/ again as soon as the last answer came, for `seconds`. One request first (it
    counts and, with snapshots, keeps one); then every answer's time."""
    if snapshots:
        forget_snapshots(app)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDHT_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CDHT_EMBEDDED_WORKERS="0",
               CDHT_FIGURES_SNAPSHOT_FROM="50000" if snapshots else "0")
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
        server = start_gunicorn("wsgi:app", port, 2, env, log)
    try:
        wait_healthy(server, base, log.name)
        sessions = [officer_session(base, "bench_tinh") for _ in range(clients)]
        started = time.perf_counter()
        sessions[0].get(f"{base}/admin/", params={"period": PERIOD}, timeout=60).raise_for_status()
        first = time.perf_counter() - started
        times: list[float] = []
        failures: list[str] = []
        until = time.monotonic() + seconds

        def officer(client):
            while time.monotonic() < until:
                begun = time.perf_counter()
                answer = client.get(f"{base}/admin/", params={"period": PERIOD}, timeout=60)
                if answer.status_code != 200:
                    failures.append(str(answer.status_code))
                times.append(time.perf_counter() - begun)
        busy, begun = machine_busy_seconds(), time.perf_counter()
        threads = [threading.Thread(target=officer, args=(c,)) for c in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - begun
        if failures:
            raise SystemExit(f"{len(failures)} answers were not 200 ({failures[:3]}):\n{tail(log.name)}")
        ordered = sorted(times)
        return {"first": first, "n": len(times), "per_second": len(times) / elapsed,
                "median": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))],
                "max": ordered[-1],
                "busy": (machine_busy_seconds() - busy) / (elapsed * os.cpu_count())}
    finally:
        stop(server)
        os.unlink(log.name)


def after_decisions(app, client, communes: int, runs: int) -> dict:
    """The province's dashboard from its snapshot right after one decision in each of
    `communes` communes (an approval re-dated to now, put back afterwards): those units
    are counted again on every read until the job counts the whole again."""
    from datetime import datetime, timezone
    from storage.standing import RECOGNISED
    runtime = app.extensions["cdht"]
    with runtime.db.transaction() as session:
        first = (select(func.min(Assessment.id)).join(Citizen, Citizen.id == Assessment.citizen_id)
                 .where(RECOGNISED).group_by(Citizen.unit_id).order_by(Citizen.unit_id).limit(communes))
        picked = session.execute(
            select(Assessment.id, Assessment.decided_at, Citizen.unit_id)
            .join(Citizen, Citizen.id == Assessment.citizen_id)
            .where(Assessment.id.in_(first.scalar_subquery()))).all()
        for assessment_id, _, _ in picked:
            session.get(Assessment, assessment_id).decided_at = datetime.now(timezone.utc)
    try:
        timed(client, "/admin/")
        times = [timed(client, "/admin/")[0] for _ in range(runs)]
    finally:
        with runtime.db.transaction() as session:
            for assessment_id, decided_at, _ in picked:
                session.get(Assessment, assessment_id).decided_at = decided_at
    return {"units": len({u for _, _, u in picked}), "median": statistics.median(times),
            "max": max(times)}


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
    parser.add_argument("--served", type=float, default=20,
                        help="seconds of officers asking gunicorn at once, each way (0: skip)")
    parser.add_argument("--clients", type=int, default=4, help="officers at once (--served)")
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
        for communes in (1, 5, 20):
            r = after_decisions(app, logged_in(app, "bench_tinh"), communes, args.runs)
            print(f"  /admin/ right after decisions in {r['units']:2d} units (counted again on "
                  f"each read): median {r['median']:.3f}, max {r['max']:.3f}")
        show(f"commune ({COMMUNE}, officer bench_xa), always live, seconds over {args.runs} runs",
             measure(logged_in(app, "bench_xa"), args.runs))
        if args.served:
            print(f"\nprovince dashboard (/admin/) served by gunicorn -w 2 -k sync, {args.clients} "
                  f"officers at once for {args.served:.0f} s each way")
            print(f"  {'':10} {'first':>7} {'answers':>8} {'per s':>7} {'median':>7} {'p95':>7} "
                  f"{'max':>7} {'machine busy':>13}")
            for label, kept in (("live", False), ("snapshot", True)):
                r = served(app, args.database_url, args.clients, args.served, kept)
                print(f"  {label:10} {r['first']:7.3f} {r['n']:8d} {r['per_second']:7.2f} "
                      f"{r['median']:7.3f} {r['p95']:7.3f} {r['max']:7.3f} {r['busy']:12.0%}")
    finally:
        for each in (live, app):
            each.extensions["cdht"].dispose()


if __name__ == "__main__":
    main()
