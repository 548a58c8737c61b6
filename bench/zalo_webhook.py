"""Benchmark: signed Zalo webhook messages per second through gunicorn, many clients.

    .venv/bin/python bench/zalo_webhook.py                      # SQLite (temporary file), 1 worker
    .venv/bin/python bench/zalo_webhook.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cdht_bench --workers 2

Each citizen plays a whole Zalo conversation (registration, then ten answers) as
`user_send_text` events signed like Zalo signs them; a citizen's messages go in order,
different citizens in parallel. The PostgreSQL database is created if missing and its
`public` schema dropped and recreated on every run ("test" is refused). Sending is off
(CDHT_EMBEDDED_WORKERS=0): this measures the webhook, not the outbox. Traffic goes to
127.0.0.1 only. Prints numbers; records nothing. docs/performance.md keeps the figures.
"""

import argparse
import itertools
import json
import os
import platform
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import Database  # noqa: E402
from webhooks.zalo.signature import sign  # noqa: E402

APP_ID = "4318000000000000001"
OA_ID = "2318000000000000002"
OA_SECRET = "bench-oa-secret"
REFUSED_DATABASES = {"test", "postgres", "template0", "template1"}   # the test suite uses "test"

# One citizen's whole Zalo conversation: consent, name, year, commune by name, group,
# phone skipped, then ten answers typed different ways.
CONVERSATION = ["xin chao", "co", "nguyen van an", "1955", "xa tien lu", "1", "bo qua",
                "1", "hai", "Dạ, chọn số 2 ạ", "đáp án 1", "lam duoc", "1.", "một", "mot",
                "thuong xuyen a", "1"]


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def prepare_postgresql(url: str) -> None:
    """Create the bench database if missing, then drop and recreate its public schema."""
    import psycopg
    parsed = make_url(url)
    if parsed.database in REFUSED_DATABASES:
        raise SystemExit(f"refusing to wipe the {parsed.database!r} database; use e.g. cdht_bench")
    server = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
              "user": parsed.username, "password": parsed.password}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
        if found.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')
    with psycopg.connect(dbname=parsed.database, autocommit=True, **server) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def prepare_database(url: str | None, folder: str) -> tuple[str, str]:
    """(url, description) of a migrated, seeded, otherwise empty database."""
    from datetime import datetime, timezone

    from bot.seed import seed_demo
    from storage import migrate
    url = url or f"sqlite:///{folder}/bench.sqlite3"
    if make_url(url).get_backend_name() == "postgresql":
        prepare_postgresql(url)
    elif make_url(url).get_backend_name() != "sqlite":
        raise SystemExit(f"unsupported database: {url}")
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        seed_demo(session, "bench", datetime.now(timezone.utc))
        if db.is_sqlite:
            kind = "SQLite " + session.execute(text("SELECT sqlite_version()")).scalar()
        else:
            kind = "PostgreSQL " + session.execute(text("SHOW server_version")).scalar()
    db.dispose()
    return url, kind


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, threads: int, log) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDHT_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CDHT_ZALO_APP_ID=APP_ID, CDHT_ZALO_OA_ID=OA_ID,
               CDHT_ZALO_OA_SECRET=OA_SECRET, CDHT_EMBEDDED_WORKERS="0")
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--chdir", str(ROOT),
               "--no-control-socket", "wsgi:app"]   # no socket under ~/.gunicorn to collide on
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(server: subprocess.Popen, base: str, log_path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}:\n{tail(log_path)}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn not healthy after {seconds:.0f} s:\n{tail(log_path)}")


def tail(path: str, lines: int = 20) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


def cpu_by_pid(pids) -> dict[int, float]:
    """user + system CPU seconds of these processes, from /proc (left out where unreadable)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return found


def machine_busy_seconds() -> float:
    """CPU time all cores spent not idle, from /proc/stat (0 where unavailable)."""
    try:
        ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0
    idle = ticks[3] + ticks[4]   # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def processes(match) -> list[int]:
    """Pids whose /proc/<pid>/status and cmdline satisfy match(status, cmdline)."""
    found = []
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            status = (folder / "status").read_text()
            cmdline = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if match(status, cmdline):
            found.append(int(folder.name))
    return found


def cpu_snapshot(master: int, url: str) -> dict:
    """CPU so far: gunicorn's workers, this database's PostgreSQL backends (when local),
    this process, and the whole machine."""
    database = make_url(url).database if not url.startswith("sqlite") else None
    backends = processes(lambda _s, cmd: cmd.startswith("postgres:") and f" {database} " in cmd) \
        if database else []
    return {"gunicorn": cpu_by_pid(processes(lambda status, _c: f"\nPPid:\t{master}\n" in status)),
            "postgres": cpu_by_pid(backends), "client": time.process_time(),
            "machine": machine_busy_seconds()}


def cpu_report(before: dict, after: dict, elapsed: float) -> str:
    spent = {key: sum(after[key].values()) - sum(before[key].get(pid, 0) for pid in after[key])
             for key in ("gunicorn", "postgres")}   # backends started during the run count from 0
    spent.update((key, after[key] - before[key]) for key in ("client", "machine"))
    other = spent["machine"] - spent["gunicorn"] - spent["postgres"] - spent["client"]
    each = " + ".join(f"{after['gunicorn'][pid] - before['gunicorn'].get(pid, 0):.1f}"
                      for pid in sorted(after["gunicorn"]))   # uneven when keep-alive pins clients
    return (f"CPU during the load: gunicorn workers {spent['gunicorn']:.1f} s ({each}), PostgreSQL backends "
            f"{spent['postgres']:.1f} s, this client {spent['client']:.1f} s, everything else "
            f"{other:.1f} s; machine busy {spent['machine']:.1f} s "
            f"of {elapsed * (os.cpu_count() or 1):.1f} s")


def event(sender: str, text_: str) -> tuple[bytes, dict]:
    """A `user_send_text` event in Zalo's shape, and the headers Zalo would send with it."""
    stamp = str(time.time_ns() // 1_000_000)
    body = {"app_id": APP_ID, "user_id_by_app": sender, "event_name": "user_send_text",
            "sender": {"id": sender}, "recipient": {"id": OA_ID},
            "message": {"text": text_, "msg_id": uuid.uuid4().hex}, "timestamp": stamp}
    raw = json.dumps(body, ensure_ascii=False).encode()
    return raw, {"Content-Type": "application/json",
                 "X-ZEvent-Signature": sign(raw, stamp, APP_ID, OA_SECRET)}


def client(url: str, keep_alive: bool, citizens: queue.Queue, latencies: list, errors: list) -> None:
    """Take citizens one at a time and play each one's conversation in order."""
    with requests.Session() as http:
        if not keep_alive:
            http.headers["Connection"] = "close"
        while True:
            try:
                n = citizens.get_nowait()
            except queue.Empty:
                return
            sender = str(7_000_000_000_000_000_000 + n)   # Zalo user ids are long digit strings
            for text_ in CONVERSATION:
                raw, headers = event(sender, text_)
                t0 = time.perf_counter()
                try:
                    response = http.post(url, data=raw, headers=headers, timeout=30)
                    problem = None if response.status_code == 200 else \
                        f"HTTP {response.status_code}: {response.text[:200]}"
                except requests.RequestException as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                latencies.append(time.perf_counter() - t0)   # list.append is atomic
                if problem:
                    errors.append(f"citizen {n}, {text_!r}: {problem}")


def load(base: str, clients: int, citizens: int, keep_alive: bool) -> tuple[float, list, list]:
    todo = queue.Queue()
    for n in range(citizens):
        todo.put(n)
    latencies, errors = [], []
    url = f"{base}/webhooks/zalo"
    threads = [threading.Thread(target=client, args=(url, keep_alive, todo, latencies, errors))
               for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


def completed(url: str) -> int:
    from storage.models import Assessment
    db = Database(url)
    with db.read() as session:
        count = session.scalar(select(func.count()).select_from(Assessment)
                               .where(Assessment.status == "completed"))
    db.dispose()
    return count


def report(elapsed: float, latencies: list, errors: list) -> None:
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(f"messages: {len(latencies)} in {elapsed:.2f} s = {len(latencies) / elapsed:,.0f} msg/s")
    print(f"latency: p50 {p(0.5):.1f} ms, p90 {p(0.9):.1f} ms, p99 {p(0.99):.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms")
    print(f"errors: {len(errors)}")
    for line in itertools.islice(errors, 20):
        print("  " + line)
    if len(errors) > 20:
        print(f"  … and {len(errors) - 20} more")


def serve_and_load(url: str, workers: int, args, folder: str):
    """Start gunicorn, play the conversations against it, always stop it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = f"{folder}/gunicorn.log"
    with open(log_path, "wb") as log:
        server = start_gunicorn(url, port, workers, args.threads, log)
        try:
            wait_healthy(server, base, log_path)
            before = cpu_snapshot(server.pid, url)
            elapsed, latencies, errors = load(base, args.clients, args.citizens, args.keep_alive)
            after = cpu_snapshot(server.pid, url)   # before stopping: backends exit with gunicorn
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return elapsed, latencies, errors, cpu_report(before, after, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--database-url", help="PostgreSQL URL (its database is wiped; "
                        "never 'test'); default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--workers", type=int, help="gunicorn worker processes "
                        "(default: 1 on SQLite, which serialises writers; 2 on PostgreSQL)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default: 4)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default: 8)")
    parser.add_argument("--citizens", type=int, default=100, help="citizens, each a whole "
                        f"conversation of {len(CONVERSATION)} messages (default: 100)")
    parser.add_argument("--keep-alive", action="store_true", help="reuse each client's connection "
                        "(default: a new one per message, as nginx opens to gunicorn by default; "
                        "kept-alive connections stay on the worker that accepted them)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="cdht-bench-")
    url, kind = prepare_database(args.database_url, folder)
    workers = args.workers or (1 if url.startswith("sqlite") else 2)
    print(f"machine: {machine()}")
    print(f"database: {kind}")
    print(f"gunicorn: {workers} workers × {args.threads} threads; {args.clients} clients, "
          f"{args.citizens} citizens × {len(CONVERSATION)} messages; "
          f"{'kept-alive connections' if args.keep_alive else 'a new connection per message'}")
    elapsed, latencies, errors, cpu = serve_and_load(url, workers, args, folder)
    report(elapsed, latencies, errors)
    print(cpu)
    print(f"assessments completed: {completed(url)}/{args.citizens}")
    if errors:
        print(f"gunicorn log: {folder}/gunicorn.log")
        sys.exit(1)
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
