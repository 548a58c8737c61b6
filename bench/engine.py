"""Benchmark: engine steps per second (pure), replies read per second with cold caches
(every distinct reply form of tests/flows/replies.tsv), unit look-ups per second in the
real demo directory (with the pre-2025 names), and console-webhook messages per second on
SQLite (the whole pipeline: HTTP layer in-process, engine, storage, rendering).

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
    from flows.units.directory import Directory, UnitEntry
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


def _clear_caches() -> None:
    from flows.readers import mending, normalize, scanning, spelling
    for f in (normalize.fold, normalize.tokens, spelling.repair, mending._mended,
              scanning.option_phrases, scanning.echo_words):
        f.cache_clear()


def bench_reader() -> None:
    """Every distinct reply of the reply table, read by the choice and yes/no readers with
    every cache cleared first: the cost of a reply the bot has never seen."""
    from flows.readers.normalize import fold
    from flows.readers.understanding import read_choice, read_yes_no
    sets = load_all_criteria()
    scale = sets[("cdht-2023", "2023.1-draft")].groups[0].indicators[0].options
    table = (ROOT / "tests" / "flows" / "replies.tsv").read_text(encoding="utf-8").splitlines()
    replies = sorted({line.split("\t")[1] for line in table[1:]
                      if line and not line.startswith("#")})
    _clear_caches()
    started = time.perf_counter()
    for text in replies:
        read_choice(fold(text), scale, text)
        read_yes_no(fold(text), text)
    elapsed = time.perf_counter() - started
    reads = 2 * len(replies)
    print(f"reader, cold: {reads} readings of {len(replies)} distinct replies in {elapsed:.2f} s "
          f"= {reads / elapsed:,.0f} readings/s ({elapsed / reads * 1e6:.0f} µs each)")


def bench_units() -> None:
    """Unit look-ups in the demo province's directory, old names included."""
    from vietnam_provinces import Province, Ward
    from bot.units.old_communes import old_units
    from flows.units.directory import Directory, UnitEntry
    province = next(p for p in Province.iter_all() if p.name == "Hưng Yên")
    wards = list(Ward.iter_by_province(province.code))
    entries = [UnitEntry(str(int(w.code)), w.name, "Tỉnh Hưng Yên", "33") for w in wards]
    started = time.perf_counter()
    directory = Directory(entries, old_units=old_units(
        {f"{int(w.code):05d}": (str(int(w.code)), w.name) for w in wards}))
    built = time.perf_counter() - started
    queries = ["tien lu", "thôn Đông, xã Tiên Lữ, huyện Tiên Lữ, Hưng Yên", "Hòa Bình",
               "xã Hòa Bình, huyện Vũ Thư, Thái Bình", "DK 12364", "chau", "Ngọc Thanh",
               "Minh Khai, Hưng Hà", "khong biet"]
    _clear_caches()
    started = time.perf_counter()
    rounds = 200
    for n in range(rounds):
        for q in queries:
            directory.find(f"{q} {n}" if n % 2 else q)
    elapsed = time.perf_counter() - started
    finds = rounds * len(queries)
    print(f"unit directory: built in {built * 1000:.0f} ms ({len(entries)} communes, "
          f"{sum(len(v) for v in directory.old.values())} old names); {finds} look-ups in "
          f"{elapsed:.2f} s = {finds / elapsed:,.0f}/s ({elapsed / finds * 1e6:.0f} µs each)")


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
    bench_reader()
    bench_units()
    bench_console(args.citizens)


if __name__ == "__main__":
    import logging
    logging.disable(logging.INFO)
    main()
