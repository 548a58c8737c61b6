"""Benchmark: engine steps per second (pure), and console-webhook messages per second
on SQLite (the whole pipeline: HTTP layer in-process, engine, storage, rendering).

    .venv/bin/python bench/engine.py [--conversations 200] [--citizens 100]

Prints numbers; records nothing. docs/performance.md keeps the figures.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.engine import Inbound, Script, step  # noqa: E402
from flows.loading import FLOWS_DIR, load_all_criteria, load_flow  # noqa: E402
from flows.state import Profile, State  # noqa: E402

# One citizen's whole conversation by SMS: registration, ten answers typed
# different ways, a score request and an edit.
CONVERSATION = ["DK 12364", "Dạ có ạ", "nguyen van an", "1955", "1", "1", "hai", "Dạ, chọn số 2 ạ",
                "đáp án 1", "lam duoc", "1.", "một", "mot", "thuong xuyen a", "1", "DIEM", "SUA 3", "1"]


def bench_engine(conversations: int) -> None:
    from flows.directory import Directory, UnitEntry
    sets = load_all_criteria()
    criteria = sets[("cdht-2023", "2023.1-draft")]
    directory = Directory([UnitEntry("33", "Tỉnh Hưng Yên", joinable=False, help_phone="0221 3000 100"),
                           UnitEntry("12364", "Xã Tiên Lữ", "Tỉnh Hưng Yên", parent="33")])
    script = Script(load_flow(FLOWS_DIR / "registration.toml"), criteria, directory, sets)
    now = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
    steps = 0
    started = time.perf_counter()
    for _ in range(conversations):
        state = State(profile=Profile(phone="+84912345678"))  # an SMS citizen
        for text in CONVERSATION:
            state, _ = step(script, state, Inbound(text, "sms"), now)
            steps += 1
    elapsed = time.perf_counter() - started
    assert state.assessment.completed
    print(f"engine: {steps} steps in {elapsed:.2f} s = {steps / elapsed:,.0f} steps/s "
          f"({elapsed / steps * 1e6:.0f} µs/step)")


def bench_console(citizens: int) -> None:
    os.environ.pop("DATABASE_URL", None)
    folder = tempfile.mkdtemp(prefix="cdht-bench-")
    url = f"sqlite:///{folder}/bench.sqlite3"
    from bot.app import create_app
    from bot.seed import seed_demo
    from storage import migrate
    from storage.db import Database
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        seed_demo(session, "bench", datetime.now(timezone.utc))
    db.dispose()
    app = create_app({"database_url": url, "console": True, "embedded_workers": False})
    client = app.test_client()
    latencies = []
    started = time.perf_counter()
    for n in range(citizens):
        sender = f"0912{n:06d}"
        for text in CONVERSATION:
            t0 = time.perf_counter()
            response = client.post("/webhooks/console", json={"from": sender, "text": text, "channel": "sms"})
            latencies.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.data
    elapsed = time.perf_counter() - started
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(f"console webhook on SQLite: {len(latencies)} messages from {citizens} citizens in "
          f"{elapsed:.2f} s = {len(latencies) / elapsed:,.0f} msg/s; latency p50 {p(0.5):.1f} ms, "
          f"p99 {p(0.99):.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms (one client, serial)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--citizens", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    bench_engine(args.conversations)
    bench_console(args.citizens)


if __name__ == "__main__":
    import logging
    logging.disable(logging.INFO)
    main()
