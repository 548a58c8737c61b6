"""What the serving benchmarks share: the machine, a fresh seeded database, gunicorn
started and stopped, and CPU accounting from /proc. Traffic stays on 127.0.0.1."""

import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import Database  # noqa: E402

REFUSED_DATABASES = {"test", "postgres", "template0", "template1"}   # the test suite uses "test"


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


def start_gunicorn(app: str, port: int, workers: int, env: dict, log, chdir: Path = ROOT,
                   threads: int = 1) -> subprocess.Popen:
    """`gunicorn -k sync` (threads=1), as the issue's measurement ran it."""
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--worker-class", "sync" if threads == 1 else "gthread",
               "--threads", str(threads), "--chdir", str(chdir), "--backlog", "2048",
               "--no-control-socket", app]   # no socket under ~/.gunicorn to collide on
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_snapshot(master: int, url: str, others: tuple[int, ...] = ()) -> dict:
    """CPU so far: gunicorn's workers, other processes of ours (a `flask worker`), this
    database's PostgreSQL backends (when local), this process, and the whole machine."""
    database = make_url(url).database if not url.startswith("sqlite") else None
    backends = processes(lambda _s, cmd: cmd.startswith("postgres:") and f" {database} " in cmd) \
        if database else []
    web = processes(lambda status, _c: f"\nPPid:\t{master}\n" in status)
    embedded = processes(lambda status, _c: any(f"\nPPid:\t{pid}\n" in status for pid in web))
    return {"gunicorn": cpu_by_pid(web), "worker": cpu_by_pid((*others, *embedded)),
            "postgres": cpu_by_pid(backends),
            "client": time.process_time(), "machine": machine_busy_seconds()}


def cpu_report(before: dict, after: dict, elapsed: float) -> str:
    spent = {key: sum(after[key].values()) - sum(before[key].get(pid, 0) for pid in after[key])
             for key in ("gunicorn", "worker", "postgres")}   # backends started during the run from 0
    spent.update((key, after[key] - before[key]) for key in ("client", "machine"))
    other = spent["machine"] - sum(spent[k] for k in ("gunicorn", "worker", "postgres", "client"))
    each = " + ".join(f"{after['gunicorn'][pid] - before['gunicorn'].get(pid, 0):.1f}"
                      for pid in sorted(after["gunicorn"]))
    worker = f"worker process {spent['worker']:.1f} s, " if after["worker"] else ""
    return (f"CPU: gunicorn workers {spent['gunicorn']:.1f} s ({each}), {worker}PostgreSQL "
            f"backends {spent['postgres']:.1f} s, the bench process {spent['client']:.1f} s, "
            f"everything else (wrk…) {other:.1f} s; machine busy {spent['machine']:.1f} s of "
            f"{elapsed * (os.cpu_count() or 1):.1f} s")
