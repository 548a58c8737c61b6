"""Benchmark: planning a broadcast to a whole province (565,625 registered citizens, one
province's registrations in a year), then sending it to a stub Zalo.

    .venv/bin/python bench/broadcast.py                      # SQLite (a fresh temporary file)
    .venv/bin/python bench/broadcast.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

1. load: a fresh database, migrated, the demo unit tree seeded, and --citizens
   registered citizens with a Zalo contact each (bench/population.py: COPY on
   PostgreSQL, multi-row INSERTs on SQLite). Its time is printed; it is not a target.
2. plan: `broadcasts.create(session, "33", text, now)` in `runtime.db.transaction()`,
   in a child process of its own (spawned, so none of the loader's memory is in it).
   Wall time and the child's peak RSS (VmHWM; getrusage(RUSAGE_CHILDREN) beside it);
   targets ≤ 30 s and ≤ 200 MB; rows planned must equal --citizens. On PostgreSQL the
   INSERT … SELECT runs in the server: the child's RSS is the client's alone. Also the
   storage the plan takes (SQLite: what the file grew by; PostgreSQL: the outbox).
3. dispatch: `flask --app wsgi worker` (the real worker process, CDHT_* settings in its
   environment, CDHT_SEND_WINDOW=always so the night is not quiet hours, and
   CDHT_WORKER_NICE=0: it runs beside nothing of ours, only whatever else the machine
   does) sends to a threaded stub Zalo in this process that answers at once. Rows
   reaching "sent" are counted every second; the rate is taken over --dispatch-seconds
   after the first 5 s of sending (start-up, and the rate bucket's initial burst), first
   with the rate limit off (CDHT_RATE_ZALO=0), then with CDHT_RATE_ZALO=60 for at least
   30 s (target: achieved ÷ 60 ≥ 0.95). Only that slice of the broadcast is sent: its
   start, or with --sent-before N the rows after its first N (marked sent beforehand),
   since what a claim costs may grow with how far the broadcast has gone. On PostgreSQL
   the connections opened and closed meanwhile are counted (pg_stat_database.sessions).
   The stub's own capacity is measured first: 8 threads (CDHT_SEND_CONCURRENCY's
   default) of `requests` in another process, posting as fast as they can.

On PostgreSQL the bench never touches the database named in the URL (the test suite's
"test" drops its schema): it creates cdht_bench_broadcast_<pid> on that server and
drops it at the end (--keep keeps it, and SQLite's folder). Prints numbers;
docs/performance.md keeps them.
"""

import argparse
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

from serving import (ROOT, Database, cpu_by_pid, machine, machine_busy_seconds,
                     prepare_database, processes, stop, tail)
from inbound import APP_ID, OA_ID, OA_SECRET, StubZalo, bot_env
from population import PROVINCE, load_citizens

from storage.models import DeliveryAttempt, Outbox  # noqa: E402  (serving put the project on the path)

TEXT = ("Hội Khuyến học tỉnh Hưng Yên thông báo: từ ngày 01/12 đến 31/12, mời bà con "
        "hoàn thành bản tự đánh giá \"Công dân học tập\" năm nay qua Zalo. Chỉ cần trả lời "
        "10 câu hỏi ngắn; nếu cần giúp đỡ, xin liên hệ chi hội khuyến học nơi mình ở. "
        "Trân trọng cảm ơn!")
SETTLE = 5.0            # seconds of sending left out of the rate: start-up, the bucket's burst
TARGET_SECONDS, TARGET_MB, TARGET_RATIO = 30, 200, 0.95


# -- the database ---------------------------------------------------------------------
def fresh_database(requested: str | None, folder: str) -> tuple[str, str]:
    """(url, description): SQLite in `folder`, or a new database on the requested server."""
    if requested and make_url(requested).get_backend_name() == "postgresql":
        requested = make_url(requested).set(database=f"cdht_bench_broadcast_{os.getpid()}") \
            .render_as_string(hide_password=False)
    return prepare_database(requested, folder)   # PostgreSQL: created, then its schema reset


def drop_database(url: str) -> None:
    import psycopg
    parsed = make_url(url)
    with psycopg.connect(dbname="postgres", autocommit=True, host=parsed.host or "127.0.0.1",
                         port=parsed.port or 5432, user=parsed.username,
                         password=parsed.password) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def runtime_for(url: str, **overrides):
    from bot.config import Settings
    from bot.runtime import Runtime
    return Runtime(Settings.load({"database_url": url, "embedded_workers": False,
                                  "criteria_dir": None, **overrides}, environ={}))


# -- planning, in a child process -------------------------------------------------------
def vm(field: str) -> float:
    """A /proc/self/status figure (VmRSS, VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def plan_child(url: str) -> dict:
    """Runs in a spawned process: build the runtime, then plan and commit the broadcast."""
    from bot.outreach.broadcasts import create
    runtime = runtime_for(url)
    before = vm("VmRSS")
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    with runtime.db.transaction() as session:
        created = create(session, PROVINCE, TEXT, now, created_by="bench")
        broadcast_id, recipients = created.broadcast.id, created.recipients
    seconds = time.perf_counter() - started
    with runtime.db.read() as session:
        rows = session.scalar(select(func.count()).select_from(Outbox)
                              .where(Outbox.broadcast_id == broadcast_id))
    runtime.dispose()
    return {"seconds": seconds, "recipients": recipients, "rows": rows,
            "rss_before_mb": before, "peak_mb": vm("VmHWM")}


def stored_bytes(url: str) -> int:
    """SQLite: the database file (its WAL checkpointed); PostgreSQL: the outbox and its indexes."""
    db = Database(url)
    raw = db.engine.raw_connection()   # outside a transaction: SQLite checkpoints only there
    try:
        row = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)" if db.is_sqlite else
                                            "SELECT pg_total_relation_size('outbox')").fetchone()
        return Path(make_url(url).database).stat().st_size if db.is_sqlite else row[0]
    finally:
        raw.close()
        db.dispose()


def in_child(fn, *args):
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


# -- the stub Zalo --------------------------------------------------------------------
def start_stub() -> tuple[ThreadingHTTPServer, str]:
    stub = ThreadingHTTPServer(("127.0.0.1", 0), StubZalo)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    return stub, f"http://127.0.0.1:{stub.server_port}"


def load_child(base: str, seconds: float, threads: int) -> int:
    """Runs in a spawned process: POST CS messages from `threads` sessions for `seconds`."""
    import requests
    from webhooks.zalo.messages import cs_text_request
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(n: int) -> None:
        http = requests.Session()
        req = cs_text_request(base, "bench-access", str(5_000_000_000_000_000_000 + n), TEXT)
        while time.perf_counter() < deadline:
            http.post(req.url, headers=req.headers, json=req.json, timeout=10).raise_for_status()
            counts[n] += 1

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts)


def stub_capacity(base: str, seconds: float = 5, threads: int = 8) -> float:
    return in_child(load_child, base, seconds, threads) / seconds


# -- dispatch ---------------------------------------------------------------------------
def sent_count(db: Database) -> int:
    with db.read() as session:   # each row reaching "sent" is one such attempt, same commit
        return session.scalar(select(func.count()).select_from(DeliveryAttempt)
                              .where(DeliveryAttempt.outcome == "sent"))


def sessions(db: Database) -> int:
    """PostgreSQL: connections to this database closed so far (pg_stat_database)."""
    if db.is_sqlite:
        return 0
    with db.read() as session:
        return session.scalar(text("SELECT sessions FROM pg_stat_database "
                                   "WHERE datname = current_database()"))


def cpu_now(worker: int, database: str | None) -> dict:
    backends = processes(lambda _s, cmd: cmd.startswith("postgres:") and f" {database} " in cmd) \
        if database else []
    return {"worker": cpu_by_pid([worker]).get(worker, 0.0), "postgres": cpu_by_pid(backends),
            "bench": time.process_time(), "machine": machine_busy_seconds()}


def cpu_spent(before: dict, after: dict, seconds: float, sent: int) -> str:
    postgres = sum(after["postgres"].values()) - sum(before["postgres"].get(pid, 0)
                                                     for pid in after["postgres"])
    spent = {k: after[k] - before[k] for k in ("worker", "bench", "machine")}
    other = max(0.0, spent["machine"] - spent["worker"] - spent["bench"] - postgres)   # skew: ≥ 0
    backends = f"PostgreSQL backends alive at the end {postgres:.1f} s, " if after["postgres"] else ""
    exited = ", backends that exited" if after["postgres"] else ""
    return (f"CPU: worker {spent['worker']:.1f} s ({spent['worker'] / max(1, sent) * 1000:.1f} ms "
            f"a message), {backends}stub (this process) {spent['bench']:.1f} s, everything else "
            f"(other processes{exited}) {other:.1f} s; machine busy {spent['machine']:.1f} s "
            f"of {seconds * (os.cpu_count() or 1):.1f} s")


def mark_sent(url: str, rows: int) -> float:
    """The first `rows` of the broadcast marked sent (no attempt rows), as if that much of it
    had gone already; PostgreSQL is then VACUUMed, as autovacuum would have been meanwhile."""
    started = time.perf_counter()
    db = Database(url)
    now = datetime.now(timezone.utc)
    with db.transaction() as session:
        first = session.scalar(select(func.min(Outbox.id)))
        session.execute(update(Outbox).where(Outbox.id < first + rows)
                        .values(status="sent", sent_at=now, updated_at=now))
    if not db.is_sqlite:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE outbox")
    db.dispose()
    return time.perf_counter() - started


def dispatch(url: str, env: dict, rate: float, seconds: float, log_path: Path) -> dict:
    """Run `flask --app wsgi worker` until `seconds` of sending after SETTLE are counted."""
    db = Database(url)
    env = {**env, "CDHT_RATE_ZALO": str(rate)}
    database = None if url.startswith("sqlite") else make_url(url).database
    start = sent_count(db)
    with open(log_path, "ab") as log:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            first = None
            deadline = time.perf_counter() + 120
            while first is None:   # the process starts, becomes active, claims the first batch
                if worker.poll() is not None or time.perf_counter() > deadline:
                    raise SystemExit(f"the worker sent nothing:\n{tail(str(log_path))}")
                time.sleep(0.05)
                if sent_count(db) > start:
                    first = time.perf_counter()
            time.sleep(max(0.0, first + SETTLE - time.perf_counter()))
            t0, c0, cpu0 = time.perf_counter(), sent_count(db), cpu_now(worker.pid, database)
            s0 = sessions(db)
            samples = [(0.0, c0)]
            while samples[-1][0] < seconds:
                time.sleep(max(0.0, t0 + len(samples) - time.perf_counter()))
                samples.append((time.perf_counter() - t0, sent_count(db)))
            elapsed, c1 = samples[-1]
            cpu1 = cpu_now(worker.pid, database)
            closed = sessions(db) - s0
        finally:
            stop(worker)
    with db.read() as session:
        outcomes = dict(session.execute(select(DeliveryAttempt.outcome, func.count())
                                        .group_by(DeliveryAttempt.outcome)).all())
    db.dispose()
    per_second = [b[1] - a[1] for a, b in zip(samples, samples[1:])]
    return {"rate_limit": rate, "seconds": elapsed, "sent": c1 - c0, "rate": (c1 - c0) / elapsed,
            "total_sent": c1 - start, "min_s": min(per_second), "max_s": max(per_second),
            "outcomes": outcomes, "cpu": cpu_spent(cpu0, cpu1, elapsed, c1 - c0),
            "connections": None if db.is_sqlite else closed}


def store_tokens(url: str, stub_url: str) -> None:
    runtime = runtime_for(url, zalo_app_id=APP_ID, zalo_oa_id=OA_ID, zalo_oa_secret=OA_SECRET,
                          zalo_openapi_url=stub_url)
    runtime.host.tokens("zalo").set_tokens("bench-access", "bench-refresh")
    runtime.dispose()


# -- the report -------------------------------------------------------------------------
def revision() -> str:
    """The commit measured, and whether the product had uncommitted changes (bench/ aside)."""
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = git("status", "--porcelain", "--", ".", ":!bench").strip()
    return git("log", "-1", "--format=%h %ad %s", "--date=iso").strip()[:100] + \
        (" + uncommitted changes" if dirty else "")


def show_dispatch(label: str, run: dict) -> str:
    limit = f"CDHT_RATE_ZALO={run['rate_limit']:g}"
    line = (f"dispatch, {label} ({limit}): {run['sent']:,} sent in {run['seconds']:.1f} s = "
            f"{run['rate']:,.1f} messages/s (per second: min {run['min_s']}, max {run['max_s']}; "
            f"{run['total_sent']:,} sent in all, start-up and the first {SETTLE:.0f} s included)")
    if run["rate_limit"]:
        ratio = run["rate"] / run["rate_limit"]
        line += (f"\n  achieved ÷ {run['rate_limit']:g} = {ratio:.3f} (target ≥ {TARGET_RATIO}: "
                 f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    if run["connections"] is not None:
        line += (f"\n  PostgreSQL connections closed during the measurement: {run['connections']:,} "
                 f"({run['connections'] / max(1, run['sent']) * 1000:,.0f} per 1,000 messages)")
    return f"{line}\n  {run['cpu']}\n  attempts so far by outcome: {run['outcomes']}"


def measure_plan(url: str, citizens: int) -> str:
    mine, size = vm("VmHWM"), stored_bytes(url)
    plan = in_child(plan_child, url)
    size = stored_bytes(url) - size
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ok = (plan["seconds"] <= TARGET_SECONDS and plan["peak_mb"] <= TARGET_MB
          and plan["rows"] == plan["recipients"] == citizens)
    return (f"plan: {plan['rows']:,} outbox rows (create() said {plan['recipients']:,}; "
            f"expected {citizens:,}) in {plan['seconds']:.1f} s (target ≤ "
            f"{TARGET_SECONDS} s), peak RSS {plan['peak_mb']:.0f} MB (target ≤ {TARGET_MB} MB; "
            f"{plan['rss_before_mb']:.0f} MB before planning, with the runtime built; "
            f"RUSAGE_CHILDREN says {children:.0f} MB: Linux gives a child the peak of its parent, "
            f"{mine:.0f} MB here, until its exec): {'met' if ok else 'MISSED'}\n"
            f"  the plan takes {size / 1e6:,.0f} MB of storage ({size / max(1, plan['rows']):,.0f} "
            f"bytes a recipient; {'what the file grew by' if url.startswith('sqlite') else 'the outbox table with its indexes'})")


def measure_dispatch(url: str, sent_before: int, seconds: float, folder: Path) -> list[str]:
    stub, stub_url = start_stub()
    lines = [f"stub Zalo capacity: {stub_capacity(stub_url):,.0f} requests/s (8 threads of "
             f"`requests` in another process, keep-alive)"]
    store_tokens(url, stub_url)
    if sent_before:
        lines.append(f"dispatch starts after the broadcast's first {sent_before:,} rows, "
                     f"marked sent beforehand ({mark_sent(url, sent_before):.1f} s)")
    else:
        lines.append("dispatch starts at the broadcast's first row (a slice of it is sent)")
    print("\n".join(lines), flush=True)
    env = {**bot_env(url, stub_url, embedded=False), "CDHT_SEND_WINDOW": "always",
           "CDHT_WORKER_NICE": "0"}
    for label, rate, span in (("no rate limit", 0, seconds), ("rate-limited", 60, max(30.0, seconds))):
        lines.append(show_dispatch(label, dispatch(url, env, rate, span, folder / "worker.log")))
        print(lines[-1], flush=True)
    stub.shutdown()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--database-url", help="a PostgreSQL server, as a URL (a new database "
                        "is made on it and dropped after); default: a temporary SQLite file")
    parser.add_argument("--citizens", type=int, default=565_625,
                        help="registered citizens in the province (default 565,625)")
    parser.add_argument("--dispatch-seconds", type=float, default=60,
                        help="sending measured per run (default 60; the rate-limited run "
                        "at least 30)")
    parser.add_argument("--sent-before", type=int, default=0, metavar="N", help="mark the "
                        "broadcast's first N rows sent before dispatching: measures a slice "
                        "later in it (default 0: its start)")
    parser.add_argument("--skip-dispatch", action="store_true", help="load and plan only")
    parser.add_argument("--keep", action="store_true", help="keep the database (and folder)")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, ROOT), *sys.argv])

    folder = Path(tempfile.mkdtemp(prefix="cdht-bench-broadcast-"))
    url, kind = fresh_database(args.database_url, str(folder))
    sqlite = url.startswith("sqlite")
    lines = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        print(f"machine: {machine()}\ndatabase: {kind} ({make_url(url).database})", flush=True)
        loaded = load_citizens(url, args.citizens, datetime.now(timezone.utc))
        say(f"load (not a target): {loaded.citizens:,} citizens + Zalo contacts over "
            f"{loaded.units} units in {loaded.seconds:.1f} s = "
            f"{loaded.citizens / loaded.seconds:,.0f} citizens/s, then "
            f"{'the WAL checkpoint' if sqlite else 'ANALYZE'} {loaded.finish_seconds:.1f} s")

        say(measure_plan(url, args.citizens))
        if not args.skip_dispatch:
            lines += measure_dispatch(url, args.sent_before, args.dispatch_seconds, folder)
    finally:
        if not args.keep:
            if not sqlite:
                drop_database(url)
            shutil.rmtree(folder, ignore_errors=True)

    print("\n--- summary ---")
    print(f"command: {command}")
    print(f"machine: {machine()}")
    where = f"kept: {url}" if args.keep else "a temporary file" if sqlite else \
        "a database of its own on that server, dropped after"
    print(f"database: {kind} ({where})")
    print(f"code: {revision()}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
