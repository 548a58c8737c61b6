"""A province's registered citizens, loaded fast, for the benchmarks that need a full
database (broadcast planning and dispatch; the officers' dashboard).

    load_citizens(url, count, now) -> Loaded

Every citizen is registered (consent given, not opted out, phone proven theirs) in a
joinable unit of the seeded province (bot/seed.py), spread evenly at random, and has
one active Zalo contact whose last message came within the last `recent` hours (by
default 36 h: inside Zalo's free 48-hour window with room for a long run), so the
dispatcher routes them to Zalo CS. The rows go in with the driver, not the ORM:
COPY on PostgreSQL, multi-row INSERTs in one transaction on SQLite; ids are given
explicitly (after any rows already there) and PostgreSQL's sequences are moved past
them. Deterministic for a given `seed` and `now`. Afterwards PostgreSQL is ANALYZEd (autovacuum
would do it within a minute anyway) and SQLite's WAL is checkpointed, so what is
measured next does not pay for the load.

    .venv/bin/python bench/population.py --citizens 20000    # loads into a temp SQLite file
"""

import argparse
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from serving import Database, prepare_database

from storage.models import Citizen, Contact, Unit  # noqa: E402  (serving put the project on the path)

PROVINCE = "33"   # Hưng Yên, as bot/seed.py makes it
CITIZEN_COLUMNS = ("id", "name", "birth_year", "unit_id", "target_group", "phone",
                   "phone_verified", "consent", "opted_out", "registered_at", "created_at")
CONTACT_COLUMNS = ("id", "channel", "address", "citizen_id", "last_inbound_at", "status",
                   "created_at")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô")
GIVEN = ("Văn An", "Thị Lan", "Văn Bình", "Thị Hoa", "Minh Đức", "Thị Mai", "Quốc Huy",
         "Thu Hà", "Văn Hùng", "Ngọc Anh")
ZALO_BASE = 5_000_000_000_000_000_000   # Zalo user ids are 19-digit numbers
CHUNK = 20_000                          # rows generated and sent at a time


@dataclass(frozen=True)
class Loaded:
    citizens: int
    units: int
    seconds: float        # generating and writing the rows
    finish_seconds: float  # ANALYZE (PostgreSQL) or the WAL checkpoint (SQLite)


def _units(session, province: str) -> list[int]:
    path = session.scalar(select(Unit.path).where(Unit.code == province))
    if path is None:
        raise SystemExit(f"no unit {province!r}: seed the demo units first (bot.seed.seed_demo)")
    return list(session.scalars(select(Unit.id).where(
        Unit.path.startswith(path), Unit.joinable, Unit.active).order_by(Unit.id)))


def _rows(first_id: int, count: int, units: list[int], now: datetime, recent: float, seed: int):
    """Chunks of (citizens, contacts) as tuples with datetimes, in column order."""
    rng = random.Random(seed)
    for start in range(0, count, CHUNK):
        citizens, contacts = [], []
        for n in range(start, min(count, start + CHUNK)):
            cid = first_id + n
            registered = now - timedelta(seconds=rng.randrange(365 * 86400))
            wrote = now - timedelta(seconds=rng.randrange(int(recent * 3600)))
            name = f"{FAMILY[rng.randrange(10)]} {GIVEN[rng.randrange(10)]}"
            citizens.append((cid, name, rng.randrange(1950, 2009), units[rng.randrange(len(units))],
                             "nguoi_dan", f"+849{cid:08d}", True, True, False, registered, registered))
            contacts.append((cid, "zalo", str(ZALO_BASE + cid), cid, wrote, "active", registered))
        yield citizens, contacts


def _copy_text(rows) -> str:
    """COPY's text format; none of the values need escaping (no tab, newline or backslash)."""
    def cell(value):
        if value is True or value is False:
            return "t" if value else "f"
        if isinstance(value, datetime):
            return value.isoformat()
        return r"\N" if value is None else str(value)
    return "".join("\t".join(map(cell, row)) + "\n" for row in rows)


def _load_postgresql(db: Database, chunks) -> None:
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            for citizens, contacts in chunks:
                for table, columns, rows in (("citizens", CITIZEN_COLUMNS, citizens),
                                             ("contacts", CONTACT_COLUMNS, contacts)):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write(_copy_text(rows))
            for table in ("citizens", "contacts"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))")
        conn.commit()
    finally:
        raw.close()


def _load_sqlite(db: Database, chunks) -> None:
    dialect = db.engine.dialect
    stamp = Citizen.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    per_statement = 500   # rows in one INSERT: 11 columns × 500 stays under SQLite's 32,766 variables
    raw = db.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        cur.execute("BEGIN IMMEDIATE")   # the product's connections run in autocommit mode
        for citizens, contacts in chunks:
            for table, columns, rows in (("citizens", CITIZEN_COLUMNS, citizens),
                                         ("contacts", CONTACT_COLUMNS, contacts)):
                rows = [tuple(stamp(v) if isinstance(v, datetime) else
                              int(v) if isinstance(v, bool) else v for v in row) for row in rows]
                one = "(" + ", ".join("?" * len(columns)) + ")"
                for at in range(0, len(rows), per_statement):
                    part = rows[at:at + per_statement]
                    cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                + ", ".join([one] * len(part)),
                                [value for row in part for value in row])
        cur.execute("COMMIT")
    except BaseException:
        raw.driver_connection.execute("ROLLBACK")
        raise
    finally:
        raw.close()


def _finish(db: Database) -> None:
    raw = db.engine.raw_connection()
    try:
        if db.is_sqlite:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn = raw.driver_connection
            conn.commit()
            conn.autocommit = True
            conn.execute("ANALYZE")   # what autovacuum would do soon after a bulk load
            conn.autocommit = False
    finally:
        raw.close()


def load_citizens(url: str, count: int, now: datetime, province: str = PROVINCE,
                  recent: float = 36.0, seed: int = 2026) -> Loaded:
    """Add `count` registered citizens with a Zalo contact each to a migrated, seeded
    database (rows already there are kept; the new ones come after them)."""
    db = Database(url)
    try:
        with db.read() as session:
            units = _units(session, province)
            first = max(session.scalar(select(func.max(Citizen.id))) or 0,
                        session.scalar(select(func.max(Contact.id))) or 0) + 1
        started = time.perf_counter()
        chunks = _rows(first, count, units, now, recent, seed)
        (_load_sqlite if db.is_sqlite else _load_postgresql)(db, chunks)
        loaded = time.perf_counter() - started
        _finish(db)
        return Loaded(count, len(units), loaded, time.perf_counter() - started - loaded)
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (its database is wiped, as "
                        "bench/serving.py does; never 'test'); default: a temporary SQLite file")
    parser.add_argument("--citizens", type=int, default=565_625)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cdht-population-")
    url, kind = prepare_database(args.database_url, folder)
    loaded = load_citizens(url, args.citizens, datetime.now(timezone.utc))
    print(f"{kind}: {loaded.citizens:,} citizens over {loaded.units} units loaded in "
          f"{loaded.seconds:.1f} s (+{loaded.finish_seconds:.1f} s ANALYZE/checkpoint) = "
          f"{loaded.citizens / loaded.seconds:,.0f} citizens/s; database: {url}")


if __name__ == "__main__":
    main()
