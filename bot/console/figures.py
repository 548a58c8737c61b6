"""The figures of an officer's subtree for a period: one aggregate query (GROUP BY unit,
target group, criteria set and what the stage depends on) whose few thousand rows
bot/console/tally.py turns into every breakdown. The dashboard, its JSON and the reports all call `figures_of`, so their
numbers are the same numbers.

Who counts: citizens of the chosen subtree who had registered before the period ended;
where they stand comes from their assessment of that period, by status.py's definitions.
Points per competence come from `Assessment.competence_points`, never from the answers.
"""

import time
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, func, select, text

from storage.models import Assessment, Citizen, Unit

from . import snapshots, tally
from .scope import Scope
from storage.standing import DECISION_CURRENT

EVERYTHING = Scope(None, None)   # what the scheduler counts with: a unit's subtree, whoever asks
FIRST_PERIOD = 2020   # the movement's national criteria date from the 2020s
# PostgreSQL, for the province-wide reads, only for their transaction (docs/performance.md):
# with the default 4 MB work_mem the sorts and hashes of 557,000 rows spill to disk; a plan
# whose estimated cost passes jit_above_cost was JIT-compiled for ~390 ms, longer than the
# query then ran; and once psycopg has prepared the statement (its 5th run) PostgreSQL may
# switch to a generic plan, which here ran in one process for 3.8 s instead of 1.1 s.
PG_READ_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off",
                    "SET LOCAL plan_cache_mode = force_custom_plan")


class BadChoice(ValueError):
    """A query-string value that cannot be used; its message is shown (Vietnamese)."""


@dataclass(frozen=True)
class Choice:
    unit: Unit | None     # None: everything (an admin's default)
    period: int


def current_period(now: datetime) -> int:
    return now.astimezone(tally.VIETNAM).year


def parse_period(text: str | None, now: datetime) -> int:
    """"2026" → 2026; empty → the current year in Vietnam; BadChoice otherwise."""
    if not text:
        return current_period(now)
    text = text.strip()
    if not text.isdigit() or not FIRST_PERIOD <= int(text) <= current_period(now) + 1:
        raise BadChoice(f"Năm không hợp lệ: hãy chọn một năm từ {FIRST_PERIOD} đến "
                        f"{current_period(now) + 1}.")
    return int(text)


def periods(now: datetime) -> list[int]:
    """What the period picker offers, newest first."""
    return list(range(current_period(now), max(FIRST_PERIOD, current_period(now) - 5) - 1, -1))


def choose(session, scope, officer_unit: Unit | None, args, now: datetime) -> Choice:
    """The unit and period asked for in `args` (?unit=CODE&period=YYYY): a unit outside
    the scope is a 404 (scope.unit_or_404); without one, the officer's own unit."""
    period = parse_period(args.get("period"), now)
    code = (args.get("unit") or "").strip()
    if code:
        if len(code) > 32:
            raise BadChoice("Mã đơn vị không hợp lệ.")
        return Choice(scope.unit_or_404(session, code), period)
    if officer_unit is not None and not scope.everything:
        return Choice(session.get(Unit, officer_unit.id), period)
    return Choice(None, period)


def competence_names(criteria_sets, criteria) -> dict[str, str]:
    """id → name, the current set's competences first."""
    names: dict[str, str] = {}
    for cs in (criteria, *criteria_sets.values()):
        for competence in cs.competences:
            names.setdefault(competence.id, competence.name)
    return names


def group_names(criteria_sets, criteria) -> dict[str, str]:
    """id → name, the current set's groups first, in its order."""
    names: dict[str, str] = {}
    for cs in (criteria, *criteria_sets.values()):
        for group in cs.groups:
            names.setdefault(group.id, group.name)
    return names


def subtree(query, unit: Unit | None, scope=None):
    """`query` (from citizens) narrowed to the chosen unit's subtree, if any (and if it
    is not the scope's own, which narrows it already)."""
    if unit is None or (scope is not None and scope.path == unit.path):
        return query
    return query.where(Citizen.unit_id.in_(
        select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))))


def counted(scope, unit: Unit | None, period: int):
    """The citizens counted for `period` (registered before it ended, in scope and in the
    chosen subtree) with their assessment of the period, if any, outer-joined: the FROM
    and WHERE every figure and every list of the console's reports shares."""
    end = tally.month_bounds(period)[-1]
    query = (select().select_from(Citizen)
             .outerjoin(Assessment, and_(Assessment.citizen_id == Citizen.id,
                                         Assessment.period == period))
             .where(Citizen.registered_at.is_not(None), Citizen.registered_at < end))
    return subtree(scope.citizens(query), unit, scope)


def aggregate(scope, unit: Unit | None, period: int, competences: list[str],
              window: tuple[datetime, datetime] | None = None, only_units=None):
    """The aggregate query: one row per unit, target group (the citizen's and the
    assessment's), criteria set and version, and the columns where a citizen stands
    depends on (tally.stage_of); with the count, the points per competence, and how many
    had registered / completed before each month boundary of the period.

    It groups by plain columns, not by a CASE of them: PostgreSQL then estimates the groups
    well and aggregates in parallel by hashing instead of sorting 557,000 rows (~15 % less
    CPU at province scale; docs/performance.md). With a `window` (a campaign's days) three
    counts more: registered, completed and decided within it — the same scan. With
    `only_units`, the citizens of those units only (a snapshot's units decided on since)."""
    bounds = tally.month_bounds(period)
    keys = [Citizen.unit_id, Citizen.target_group, Assessment.target_group,
            Assessment.criteria_set, Assessment.criteria_version, Assessment.status,
            Assessment.passed, Assessment.decision, DECISION_CURRENT]
    points = [func.sum(Assessment.competence_points[key].as_integer()) for key in competences]
    registered = [func.count().filter(Citizen.registered_at < b) for b in bounds]
    # completed_at is set exactly while the status is "completed" (bot/conversation.py
    # clears it with the answers); testing the status too cost 10 % of the query
    completed = [func.count().filter(Assessment.completed_at < b) for b in bounds]
    during = [] if window is None else [
        func.count().filter(column >= window[0], column < window[1])
        for column in (Citizen.registered_at, Assessment.completed_at, Assessment.decided_at)]
    query = counted(scope, unit, period)
    if only_units is not None:
        query = query.where(Citizen.unit_id.in_(sorted(only_units)))
    return (query.add_columns(*keys, func.count(), *points, *registered, *completed, *during)
            .group_by(*keys))


def cells(session, scope, unit: Unit | None, period: int, competences: list[str],
          window: tuple[datetime, datetime] | None = None, only_units=None) -> list[tally.Cell]:
    found, n, k = [], len(competences), len(tally.month_bounds(period))
    # through Core, not the ORM's result machinery: 4,000 rows of 36 columns at province scale
    query = aggregate(scope, unit, period, competences, window, only_units)
    for row in session.connection().execute(query):
        (unit_id, citizen_group, group, set_id, version, status, passed, decision, current,
         count) = row[:10]
        sums = row[10:10 + n]
        found.append(tally.Cell(
            unit_id=unit_id, group=group or citizen_group,
            criteria=(set_id, version) if set_id is not None else None,
            stage=tally.stage_of(status, passed, decision, current), passed=passed, count=count,
            points={key: int(s) for key, s in zip(competences, sums) if s is not None},
            registered_by=tuple(row[10 + n:10 + n + k]),
            completed_by=tuple(row[10 + n + k:10 + n + 2 * k]),
            during=tuple(row[10 + n + 2 * k:])))
    return found


def _info(unit: Unit) -> tally.UnitInfo:
    return tally.UnitInfo(unit.id, unit.code, unit.name, unit.path)


def units_of(session, scope, unit: Unit | None) -> tuple[dict[int, tally.UnitInfo], list[tally.UnitInfo]]:
    """(the subtree's units by id, the chosen unit's children by name)."""
    query = scope.units(select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.parent_id))
    if unit is not None:
        query = query.where(Unit.path.startswith(unit.path, autoescape=True))
    rows = session.execute(query).all()
    units = {r.id: tally.UnitInfo(r.id, r.code, r.name, r.path) for r in rows}
    parent = unit.id if unit is not None else None
    children = sorted((units[r.id] for r in rows if r.parent_id == parent),
                      key=lambda u: (u.name.casefold(), u.code))
    return units, children


def tune(session) -> None:
    """Settings for a large read, in the caller's (read-only) transaction."""
    if session.bind.dialect.name == "postgresql":
        for statement in PG_READ_SETTINGS:
            session.execute(text(statement))


def figures_of(session, scope, choice: Choice, runtime, now: datetime,
               window: tuple[datetime, datetime] | None = None) -> tally.Figures:
    """The figures of the choice; with a `window`, also what happened within it. A big
    subtree's come from its snapshot (snapshots.py), with the time it was counted."""
    tune(session)
    competences = competence_names(runtime.criteria_sets, runtime.criteria)
    units, children = units_of(session, scope, choice.unit)
    keys = list(competences)
    found = snapshots.counted(
        session, runtime, choice.unit, choice.period, keys, window, now,
        compute=lambda only_units=None: cells(session, scope, choice.unit, choice.period, keys,
                                              window, only_units))
    figures = tally.summarise(
        found.cells, period=choice.period, chosen=_info(choice.unit) if choice.unit else None,
        units=units, children=children,
        groups=group_names(runtime.criteria_sets, runtime.criteria), competences=competences,
        maxima=tally.competence_maxima(runtime.criteria_sets), now=now,
        windowed=window is not None)
    return replace(figures, as_of=found.as_of)


def refresh_snapshots(runtime, now: datetime) -> str:
    """The scheduler's `figures` job: every snapshot read lately, counted again; one whose
    unit is gone or no longer has enough citizens (merged away) is dropped."""
    keep_from = runtime.settings.figures_snapshot_from
    if not keep_from:
        return f"0 snapshot(s) counted again, {snapshots.drop(runtime)} dropped"
    competences = list(competence_names(runtime.criteria_sets, runtime.criteria))
    done = dropped = 0
    for snapshot in snapshots.due(runtime, now):
        window = ((snapshot.window_starts, snapshot.window_ends)
                  if snapshot.window_starts is not None else None)
        found = None
        with runtime.db.read() as session:
            unit = session.get(Unit, snapshot.unit_id) if snapshot.unit_id is not None else None
            if snapshot.unit_id is None or unit is not None:
                tune(session)
                mark = snapshots.audit_mark(session)
                started = time.perf_counter()
                found = cells(session, EVERYTHING, unit, snapshot.period, competences, window)
                took = time.perf_counter() - started
        if found is None or sum(c.count for c in found) < keep_from:
            snapshots.drop(runtime, [snapshot.id])
            dropped += 1
            continue
        snapshots.store(runtime, snapshot.key, snapshot.unit_id, snapshot.period, window,
                        competences, found, mark, now, took, read_at=snapshot.read_at)
        done += 1
    return f"{done} snapshot(s) counted again" + (f", {dropped} dropped" if dropped else "")


def trail(session, scope, unit: Unit | None) -> list[tally.UnitInfo]:
    """The breadcrumb: the chosen unit's ancestors within the scope, top first, itself last;
    never above the officer's own unit."""
    if unit is None:
        return []
    parts = unit.path.strip("/").split("/")
    prefixes = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    rows = session.scalars(scope.units(select(Unit).where(Unit.path.in_(prefixes)))).all()
    return [_info(u) for u in sorted(rows, key=lambda u: len(u.path))]


def as_json(figures: tally.Figures, unit: Unit | None) -> dict:
    """The dashboard's JSON (GET /admin/dashboard.json)."""
    return {
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "period": figures.period,
        "as_of": figures.as_of.isoformat() if figures.as_of else None,   # None: counted now
        "totals": figures.totals.as_dict(),
        "by_group": [{"id": r.key, "name": r.name, **r.counts.as_dict()} for r in figures.by_group],
        "by_competence": [{"id": c.id, "name": c.name, "assessments": c.assessments,
                           "points": c.points, "maximum": c.maximum, "average": c.average,
                           "average_maximum": c.average_maximum, "share": c.share}
                          for c in figures.by_competence],
        "by_unit": [{"code": r.key, "name": r.name, "direct": r.direct, **r.counts.as_dict()}
                    for r in figures.by_unit],
        "by_month": [{"month": f"{figures.period}-{m.month:02d}", "registered": m.registered,
                      "completed": m.completed, "registered_total": m.registered_total,
                      "completed_total": m.completed_total} for m in figures.by_month],
    }
