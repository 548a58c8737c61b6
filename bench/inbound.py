"""Benchmark: Zalo messages acknowledged and fully processed per second, beside a bare
Flask endpoint on the same gunicorn settings, in the same run.

    .venv/bin/python bench/inbound.py                      # SQLite (a fresh temporary file)
    .venv/bin/python bench/inbound.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cdht_bench

Needs `wrk` (Debian: apt-get install wrk). Settings as the issue measured them:
`gunicorn -w 2 -k sync`, wrk with 32 connections, signed `user_send_text` events from
2,000 users with short texts ("1", "co", "2"…), every event sent once.

1. bare: bench/bare_app.py (parses the JSON, answers) under wrk for --seconds;
2. ack: the bot under wrk for --seconds, with the standard process set: on SQLite
   gunicorn with embedded workers (CDHT_EMBEDDED_WORKERS=1); on PostgreSQL gunicorn
   plus one `flask --app wsgi worker`. Sending goes to a stub Zalo in this process
   that answers at once;
3. end to end: the events acknowledged during (2) divided by the time from the start
   of (2) until /healthz says `inbound_pending` is 0 again.
Reply latency is each event's processed_at − received_at (ack → reply rows committed).
The PostgreSQL database is created if missing and its `public` schema dropped and
recreated ("test" is refused). Prints numbers; docs/performance.md keeps them.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from serving import (ROOT, Database, cpu_report, cpu_snapshot, free_port, machine,
                     prepare_database, start_gunicorn, stop, tail, wait_healthy)

from webhooks.zalo.signature import sign  # noqa: E402  (serving put the project on the path)

APP_ID = "4318000000000000001"
OA_ID = "2318000000000000002"
OA_SECRET = "bench-oa-secret"
TEXTS = ["1", "co", "2", "3", "xin chao", "khong", "hai", "4", "Có", "ko"]
USERS = 2000


def write_events(path: Path, count: int, seed: int = 7) -> None:
    """`count` signed user_send_text events, one "signature<TAB>body" line each."""
    rng = random.Random(seed)
    base = int(time.time() * 1000)
    with path.open("w") as out:
        for n in range(count):
            user = str(7_000_000_000_000_000_000 + rng.randrange(USERS))
            stamp = str(base + n)
            body = {"app_id": APP_ID, "user_id_by_app": user, "event_name": "user_send_text",
                    "sender": {"id": user}, "recipient": {"id": OA_ID},
                    "message": {"text": rng.choice(TEXTS), "msg_id": f"bench{n:012d}"},
                    "timestamp": stamp}
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            out.write(f"{sign(raw.encode(), stamp, APP_ID, OA_SECRET)}\t{raw}\n")


def wrk(base: str, events: Path, seconds: int, connections: int, threads: int) -> dict:
    script = Path(__file__).with_name("wrk_events.lua")
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                          "--timeout", "10s", "-s", str(script), base, "--", str(events), str(threads)],
                         capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    summary["rate"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["errors"] = sum(summary[k] for k in ("connect", "read", "write", "status", "timeout"))
    return summary


def paced(base: str, events: Path, rate: float, seconds: int) -> dict:
    """Send `rate` events a second for `seconds`, each at its time, from a few threads."""
    import concurrent.futures
    lines = events.read_text().splitlines()[:int(rate * seconds)]
    latencies, errors = [], []
    local = threading.local()

    def send(line: str) -> None:
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        signature, body = line.split("\t", 1)
        t0 = time.perf_counter()
        response = http.post(f"{base}/webhooks/zalo", data=body.encode(), timeout=10, headers={
            "Content-Type": "application/json", "X-ZEvent-Signature": signature})
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            errors.append(response.status_code)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for n, line in enumerate(lines):
            time.sleep(max(0.0, started + n / rate - time.perf_counter()))
            pool.submit(send, line)
    duration = time.perf_counter() - started
    latencies.sort()
    us = lambda q: int(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6)
    return {"requests": len(latencies), "duration_us": int(duration * 1e6), "p50_us": us(0.5),
            "p90_us": us(0.9), "p99_us": us(0.99), "max_us": int(latencies[-1] * 1e6),
            "rate": len(latencies) / duration, "errors": len(errors), "status": len(errors),
            "timeout": 0}


def show(label: str, result: dict) -> None:
    print(f"{label}: {result['requests']:,} requests in {result['duration_us'] / 1e6:.1f} s = "
          f"{result['rate']:,.0f}/s; p50 {result['p50_us'] / 1000:.1f} ms, p99 "
          f"{result['p99_us'] / 1000:.1f} ms, max {result['max_us'] / 1000:.0f} ms; "
          f"errors {result['errors']} (non-2xx {result['status']}, timeouts {result['timeout']})")


class StubZalo(BaseHTTPRequestHandler):
    """Zalo's CS message endpoint answering at once, as the dispatcher's counterpart."""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # else delayed ACKs add 40 ms to every send
    sent = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        StubZalo.sent += 1
        body = json.dumps({"error": 0, "message": "Success",
                           "data": {"message_id": f"stub{StubZalo.sent}", "user_id": "x"}}).encode()
        self.send_response(200)   # HTTP/1.1 below: the dispatcher's connection is kept, as Zalo keeps it
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def bot_env(url: str, stub: str, embedded: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDHT_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CDHT_ZALO_APP_ID=APP_ID, CDHT_ZALO_OA_ID=OA_ID,
               CDHT_ZALO_OA_SECRET=OA_SECRET, CDHT_ZALO_OPENAPI_URL=stub,
               CDHT_EMBEDDED_WORKERS="1" if embedded else "0")
    return env


def store_tokens(url: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "zalo", "set-tokens",
                    "bench-access", "bench-refresh"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def warm_up(base: str) -> None:
    """One message through the whole path, so the worker is running (embedded: started
    by the first requests) and has loaded what it needs before the clock starts."""
    for _ in range(4):
        requests.get(f"{base}/healthz", timeout=5)   # each web process starts its child
    raw, stamp = json.dumps({"app_id": APP_ID, "event_name": "user_send_text",
                             "sender": {"id": "7999999999999999999"}, "recipient": {"id": OA_ID},
                             "message": {"text": "xin chao", "msg_id": "warm-up"},
                             "timestamp": "1"}), "1"
    requests.post(f"{base}/webhooks/zalo", data=raw.encode(), timeout=10, headers={
        "Content-Type": "application/json", "X-ZEvent-Signature": sign(raw.encode(), stamp, APP_ID,
                                                                      OA_SECRET)})
    wait_drained(base, time.perf_counter(), limit=60)


def wait_drained(base: str, started: float, limit: float) -> tuple[float, dict]:
    """Seconds from `started` until nothing is pending, and the last /healthz."""
    while True:
        health = requests.get(f"{base}/healthz", timeout=10).json()
        if health["inbound_pending"] == 0:
            return time.perf_counter() - started, health
        if time.perf_counter() - started > limit:
            raise SystemExit(f"still {health['inbound_pending']} pending after {limit:.0f} s")
        time.sleep(0.05)


def latencies(url: str) -> tuple[int, list[float]]:
    from sqlalchemy import select

    from storage.models import InboundEvent
    db = Database(url)
    with db.read() as session:
        rows = session.execute(select(InboundEvent.received_at, InboundEvent.processed_at,
                                      InboundEvent.status)
                               .where(InboundEvent.external_id != "warm-up")).all()
    db.dispose()
    done = sorted((p - r).total_seconds() for r, p, s in rows if s == "processed" and p)
    return len(rows), done


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--database-url", help="PostgreSQL URL (its database is wiped; never "
                        "'test'); default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--seconds", type=int, default=20, help="load per phase (default 20)")
    parser.add_argument("--events", type=int, default=120_000, help="distinct events prepared "
                        "(default 120,000: more than the bot acknowledges in --seconds)")
    parser.add_argument("--ack-only", action="store_true", help="no processing during the load "
                        "(nothing embedded, no worker): the acknowledgement alone; no end-to-end figure")
    parser.add_argument("--rate", type=float, help="instead of wrk's flood, send this many "
                        "events per second for --seconds (a paced client), and report the reply "
                        "latency at that load")
    parser.add_argument("--profile", metavar="DIR", help="record each bot process with py-spy "
                        "during the load (collapsed stacks, DIR/<role>-<pid>.txt; needs "
                        "`pip install py-spy`, on PATH, and permission to trace)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    folder = Path(tempfile.mkdtemp(prefix="cdht-bench-"))
    url, kind = prepare_database(args.database_url, str(folder))
    sqlite = url.startswith("sqlite")
    events = folder / "events.tsv"
    write_events(events, args.events)
    stub = ThreadingHTTPServer(("127.0.0.1", 0), StubZalo)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    stub_url = f"http://127.0.0.1:{stub.server_port}"
    print(f"machine: {machine()}")
    print(f"database: {kind}")
    print(f"gunicorn -w {args.workers} -k sync; wrk -t {args.wrk_threads} -c {args.connections} "
          f"-d {args.seconds}s; {USERS:,} users; process set: "
          f"{'gunicorn with embedded workers' if sqlite else 'gunicorn + one flask worker'}")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(folder / "bare.log", "wb") as log:
        bare = start_gunicorn("bare_app:app", port, args.workers, dict(os.environ), log,
                              chdir=Path(__file__).parent)
        try:
            wait_healthy_bare(bare, base, str(folder / "bare.log"))
            baseline = wrk(base, events, args.seconds, args.connections, args.wrk_threads)
        finally:
            stop(bare)
    show("bare Flask", baseline)

    env = bot_env(url, stub_url, embedded=sqlite and not args.ack_only)
    store_tokens(url, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    worker = None
    with open(folder / "bot.log", "wb") as log:
        server = start_gunicorn("wsgi:app", port, args.workers, env, log)
        try:
            if not sqlite and not args.ack_only:
                worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                                          cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            wait_healthy(server, base, str(folder / "bot.log"))
            warm_up(base)
            others = (worker.pid,) if worker else ()
            before = cpu_snapshot(server.pid, url, others)
            spies = profile(args.profile, server.pid, others, args.seconds) if args.profile else []
            started = time.perf_counter()
            if args.rate:
                acked = paced(base, events, args.rate, args.seconds)
            else:
                acked = wrk(base, events, args.seconds, args.connections, args.wrk_threads)
            if args.ack_only:
                after = cpu_snapshot(server.pid, url, others)
                show("bot, acknowledged (nothing processed)", acked)
                print(cpu_report(before, after, acked["duration_us"] / 1e6))
                print(f"ratio to bare: ack {acked['rate'] / baseline['rate']:.2f}")
                return
            drained, health = wait_drained(base, started, limit=600)
            for spy in spies:
                spy.wait()
            after = cpu_snapshot(server.pid, url, others)
            time.sleep(2)
            final = requests.get(f"{base}/healthz", timeout=10).json()
        finally:
            stop(worker)
            stop(server)
    show("bot, acknowledged", acked)
    stored, done = latencies(url)
    end_to_end = stored / drained
    print(f"bot, end to end: {stored:,} events stored, pending 0 after {drained:.1f} s = "
          f"{end_to_end:,.0f}/s processed; reply latency (ack → reply queued) p50 "
          f"{percentile(done, 0.5) * 1000:.0f} ms, p99 {percentile(done, 0.99) * 1000:.0f} ms; "
          f"failed {final['inbound_failed']}; outbox still queued {final['outbox_queued']}, "
          f"sent to the stub {StubZalo.sent:,}")
    print(cpu_report(before, after, drained))
    if not args.rate:
        print(f"ratios to bare: ack {acked['rate'] / baseline['rate']:.2f}, "
              f"end to end {end_to_end / baseline['rate']:.2f}")
    if acked["errors"] or stored < acked["requests"] - acked["errors"]:
        print(f"problems: see {folder}/bot.log:\n{tail(str(folder / 'bot.log'))}")
        sys.exit(1)
    shutil.rmtree(folder)


def profile(folder: str, master: int, others: tuple[int, ...], seconds: int) -> list:
    """py-spy on every gunicorn worker and `flask worker`, for the load's duration."""
    from serving import processes
    Path(folder).mkdir(parents=True, exist_ok=True)
    web = processes(lambda st, _c: f"\nPPid:\t{master}\n" in st)
    embedded = processes(lambda st, _c: any(f"\nPPid:\t{pid}\n" in st for pid in web))
    targets = [("web", pid) for pid in web] + [("worker", pid) for pid in (*others, *embedded)]
    return [subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--duration", str(seconds),
                              "--rate", "200", "--format", "raw", "--threads", "--nonblocking", "--idle", 
                              "--output", f"{folder}/{role}-{pid}.txt"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for role, pid in targets]


def wait_healthy_bare(server, base: str, log_path: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bare gunicorn exited:\n{tail(log_path)}")
        try:
            requests.post(f"{base}/webhooks/zalo", data=b"{}", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("bare gunicorn did not start")


if __name__ == "__main__":
    main()
