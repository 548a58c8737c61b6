"""A province of citizens at every stage, for the officer console's benchmark
(bench/console.py): 565,625 citizens of the seeded Hưng Yên with their assessments of
2026, their answers and their recognition, loaded with COPY into PostgreSQL.

    .venv/bin/python bench/console_population.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cdht_bench_console

The database named is created if missing and its schema wiped (never "test"), migrated
and seeded (bot/seed.py), then:
- a Hội branch ("<code>-2") under every fifth commune, holding a third of its citizens;
- citizens spread over the communes and branches (a few communes larger than the rest),
  Vietnamese names, the four target groups mixed, registered during 2026 (1.5 % have not
  finished registering);
- 70 % of the registered have an assessment of 2026: 22 % of them in progress (1–9
  answers), the rest completed (10 answers, total, passed by the criteria's rule,
  points per competence); of the passed 62 % recognised, 3 % approved and then completed
  again (awaiting again), 10 % returned; of the failed 15 % returned;
- officers "bench_tinh" (the province) and "bench_xa" (Xã Tiên Lữ), password BENCH_PASSWORD.
Deterministic for a given --seed. Then ANALYZE.
"""

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from serving import Database, prepare_database
from population import FAMILY, _copy_text

from storage.models import Officer, Unit, fold_name  # noqa: E402  (serving put the project on the path)

PROVINCE, COMMUNE = "33", "Xã Tiên Lữ"
PERIOD = 2026
CITIZENS = 565_625
BENCH_PASSWORD = "bench-mat-khau-2026"
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Thu", "Quốc", "Đức", "Thanh", "Hữu", "Kim")
GIVEN = ("An", "Bình", "Cường", "Dung", "Hà", "Hải", "Hoa", "Hùng", "Hương", "Lan", "Linh", "Long",
         "Mai", "Nam", "Nga", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Việt", "Yến")
GROUPS = (("nguoi_dan", 60), ("nguoi_lao_dong", 20), ("can_bo_doanh_nhan", 8), ("hoc_sinh", 12))
CITIZEN_COLUMNS = ("id", "name", "name_folded", "birth_year", "unit_id", "target_group", "phone",
                   "phone_verified", "consent", "opted_out", "registered_at", "created_at")
ASSESSMENT_COLUMNS = ("id", "citizen_id", "period", "criteria_set", "criteria_version",
                      "target_group", "status", "total", "passed", "started_at", "completed_at",
                      "updated_at", "competence_points", "decision", "decision_reason",
                      "decided_by", "decided_at")
ANSWER_COLUMNS = ("id", "assessment_id", "indicator", "option", "points", "raw_text", "answered_at")
POINTS = (10, 7, 4, 0)
WEIGHTS = (62, 35, 2, 1)          # most answer "often"; one in four fails an indicator or the total
CHUNK = 20_000
VIETNAM = timezone(timedelta(hours=7))


def add_branches(session, province: str) -> list[int]:
    """Every fifth commune gets a branch "<code>-2"; returns the joinable units' ids."""
    root = session.scalars(select(Unit).where(Unit.code == province)).one()
    communes = session.scalars(select(Unit).where(Unit.parent_id == root.id).order_by(Unit.id)).all()
    for commune in communes[::5]:
        code = f"{commune.code}-2"
        if session.scalar(select(Unit.id).where(Unit.code == code)) is None:
            session.add(Unit(code=code, name=f"Chi hội Khuyến học số 2, {commune.name}", kind="branch",
                             parent_id=commune.id, path=f"{commune.path}{code}/", active=True,
                             joinable=True))
    session.flush()
    return list(session.scalars(select(Unit.id).where(
        Unit.path.startswith(root.path), Unit.joinable, Unit.active).order_by(Unit.id)))


def add_officers(session, now: datetime) -> None:
    from bot.console.auth import hash_password
    for username, code in (("bench_tinh", PROVINCE), ("bench_xa", None)):
        unit = session.scalars(select(Unit).where(
            Unit.code == code if code else Unit.name == COMMUNE)).one()
        if session.scalar(select(Officer.id).where(Officer.username == username)) is None:
            session.add(Officer(username=username, password_hash=hash_password(BENCH_PASSWORD),
                                name=f"Cán bộ {unit.name}", unit_id=unit.id, role="officer",
                                created_at=now))


def _criteria():
    from bot.config import Settings
    from bot.runtime import pick_criteria
    from flows.loading import load_all_criteria
    settings = Settings.load({"database_url": "sqlite://"}, environ={})
    return pick_criteria(load_all_criteria(), settings.criteria_set, settings.criteria_version)


def _answer_options(criteria) -> dict[str, list[tuple[str, str, dict[int, int]]]]:
    """group → its indicators as (id, competence, points → option number)."""
    return {group.id: [(i.id, i.competence, {o.points: n for n, o in enumerate(i.options, 1)})
                       for i in group.indicators] for group in criteria.groups}


def _moment(rng, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randrange(max(1, int((end - start).total_seconds()))))


def _rows(count: int, units: list[int], criteria, now: datetime, seed: int):
    """Chunks of (citizens, assessments, answers) rows, in column order."""
    rng = random.Random(seed)
    indicators = _answer_options(criteria)
    rule = criteria.pass_rule
    weights = [rng.choice((1, 1, 1, 2, 4)) for _ in units]   # some communes are larger
    groups, group_weights = zip(*GROUPS)
    year_start = datetime(PERIOD, 1, 1, tzinfo=VIETNAM)
    last = min(now, datetime(PERIOD, 12, 1, tzinfo=VIETNAM))
    assessment_id = answer_id = 0
    for start in range(0, count, CHUNK):
        citizens, assessments, answers = [], [], []
        for cid in range(start + 1, min(count, start + CHUNK) + 1):
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            group = rng.choices(groups, group_weights)[0]
            born = rng.randrange(2008, 2016) if group == "hoc_sinh" else rng.randrange(1945, 2006)
            registered = _moment(rng, year_start, last) if rng.random() >= 0.015 else None
            created = registered or _moment(rng, year_start, last)
            citizens.append((cid, name, fold_name(name), born, rng.choices(units, weights)[0], group,
                             f"+849{cid:08d}", True, True, False, registered, created))
            if registered is None or rng.random() >= 0.70:
                continue
            assessment_id += 1
            started = _moment(rng, registered, min(last, registered + timedelta(days=20)))
            complete = rng.random() >= 0.22
            given = 10 if complete else rng.randrange(1, 10)
            points = rng.choices(POINTS, WEIGHTS, k=given)
            moment = started
            for (indicator, _, options), value in zip(indicators[group], points):
                moment += timedelta(seconds=rng.randrange(20, 600))
                answer_id += 1
                answers.append((answer_id, assessment_id, indicator, options[value], value,
                                str(options[value]), moment))
            row = dict(total=None, passed=None, completed_at=None, competence_points=None,
                       decision=None, decision_reason=None, decided_by=None, decided_at=None)
            if complete:
                by_competence: dict[str, int] = {}
                for (_, competence, _), value in zip(indicators[group], points):
                    by_competence[competence] = by_competence.get(competence, 0) + value
                passed = sum(points) >= rule.min_total and min(points) >= rule.min_each
                row.update(total=sum(points), passed=passed, completed_at=moment,
                           competence_points=json.dumps(by_competence))
                draw = rng.random()
                decided_before = min(last, moment + timedelta(days=10))   # never after the load
                if passed and draw < 0.62:
                    row.update(decision="approved", decided_at=_moment(rng, moment, decided_before))
                elif passed and draw < 0.65:   # approved, then an answer changed
                    row.update(decision="approved", decided_at=moment - timedelta(hours=rng.randrange(1, 48)))
                elif draw < (0.75 if passed else 0.15):
                    row.update(decision="returned", decision_reason="Cần bổ sung minh chứng",
                               decided_at=_moment(rng, moment, decided_before))
                if row["decision"]:
                    row["decided_by"] = "bench_xa" if rng.random() < 0.5 else "bench_tinh"
            assessments.append((assessment_id, cid, PERIOD, criteria.id, criteria.version, group,
                                "completed" if complete else "in_progress", row["total"], row["passed"],
                                started, row["completed_at"], moment, row["competence_points"],
                                row["decision"], row["decision_reason"], row["decided_by"],
                                row["decided_at"]))
        yield citizens, assessments, answers


def _copy(url: str, chunks) -> dict[str, int]:
    db = Database(url)
    counted = {"citizens": 0, "assessments": 0, "answers": 0}
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            for rows in chunks:
                for (table, columns), part in zip((("citizens", CITIZEN_COLUMNS),
                                                   ("assessments", ASSESSMENT_COLUMNS),
                                                   ("answers", ANSWER_COLUMNS)), rows):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write(_copy_text(part))
                    counted[table] += len(part)
            for table in counted:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")   # what autovacuum would do soon after a bulk load
    finally:
        raw.close()
        db.dispose()
    return counted


def load(url: str, count: int = CITIZENS, seed: int = 2026) -> dict:
    """Prepare the database at `url` (wiped) and load the province; returns counts and times."""
    started = time.perf_counter()
    url, kind = prepare_database(url, tempfile.mkdtemp(prefix="cdht-console-"))
    now = datetime.now(timezone.utc)
    db = Database(url)
    with db.transaction() as session:
        units = add_branches(session, PROVINCE)
        add_officers(session, now)
    with db.read() as session:
        if session.scalar(select(func.count()).select_from(Unit)) < 2:
            raise SystemExit("the seed made no units")
    db.dispose()
    prepared = time.perf_counter() - started
    counted = _copy(url, _rows(count, units, _criteria(), now, seed))
    return {"kind": kind, "units": len(units), "prepare_seconds": prepared,
            "load_seconds": time.perf_counter() - started - prepared, **counted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="PostgreSQL URL of the bench database (wiped; never 'test')")
    parser.add_argument("--citizens", type=int, default=CITIZENS)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    done = load(args.database_url, args.citizens, args.seed)
    print(f"{done['kind']}: {done['citizens']:,} citizens, {done['assessments']:,} assessments, "
          f"{done['answers']:,} answers over {done['units']} units; prepared in "
          f"{done['prepare_seconds']:.1f} s, loaded (COPY + VACUUM ANALYZE) in {done['load_seconds']:.1f} s")


if __name__ == "__main__":
    main()
