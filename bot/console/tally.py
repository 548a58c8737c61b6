"""Dashboard arithmetic: the small table one aggregate query returns (bot/console/figures.py)
turned into every breakdown — totals, by target group, by competence, by child unit, by
month. Pure: no database, no Flask, no clock (`now` is passed in), so the dashboard, its
JSON and the reports, which all read a `Figures`, are equal by construction.

A `Cell` is one group of that query: the citizens of one unit, target group, criteria
set and stage, with their count, the sums of their points per competence, and how many
of them had registered / completed by each month boundary of the period.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from operator import add, attrgetter

# where a citizen stands in the period (storage/standing.py): one of these per cell
STAGES = ("not_started", "in_progress", "not_passed", "awaiting", "returned", "recognised")
DONE = frozenset(STAGES[2:])
# Vietnam has kept UTC+7, without summer time, since 1975
VIETNAM = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Cell:
    unit_id: int | None
    group: str | None
    criteria: tuple[str, str] | None     # (set id, version) of the assessment, if any
    stage: str                           # one of STAGES
    passed: bool | None
    count: int
    points: dict[str, int] = field(default_factory=dict)   # competence id → sum of points
    registered_by: tuple[int, ...] = ()  # registered before each of month_bounds(period)
    completed_by: tuple[int, ...] = ()   # completed before each of them
    during: tuple[int, int, int] = ()    # registered / completed / decided within a window


@dataclass(frozen=True)
class Counts:
    registered: int = 0
    not_started: int = 0
    in_progress: int = 0
    completed: int = 0
    passed: int = 0
    recognised: int = 0
    awaiting: int = 0
    returned: int = 0

    @property
    def pass_rate(self) -> float | None:
        """passed ÷ completed; None before anyone completed."""
        return self.passed / self.completed if self.completed else None

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*map(add, _values(self), _values(other)))

    def as_dict(self) -> dict:
        return {**dict(zip(COUNTS, _values(self))), "pass_rate": self.pass_rate}


COUNTS = tuple(f.name for f in fields(Counts))
_values = attrgetter(*COUNTS)


def stage_of(status: str | None, passed: bool | None, decision: str | None,
             current: bool | None) -> str:
    """storage/standing.py's status_of, on the columns the aggregate query groups by:
    the assessment's status (None: no assessment), passed, decision, and whether the
    decision was taken at or after the last completion (status.DECISION_CURRENT).
    tests/console/test_tally.py checks it against status_of for every combination."""
    if status is None:
        return "not_started"
    if status != "completed":
        return "in_progress"
    if current and decision == "approved" and passed:
        return "recognised"
    if current and decision == "returned":
        return "returned"
    return "awaiting" if passed else "not_passed"


def counts_of(cell: Cell) -> Counts:
    done = cell.stage in DONE
    return Counts(registered=cell.count,
                  not_started=cell.count if cell.stage == "not_started" else 0,
                  in_progress=cell.count if cell.stage == "in_progress" else 0,
                  completed=cell.count if done else 0,
                  passed=cell.count if done and cell.passed else 0,
                  recognised=cell.count if cell.stage == "recognised" else 0,
                  awaiting=cell.count if cell.stage == "awaiting" else 0,
                  returned=cell.count if cell.stage == "returned" else 0)


@dataclass(frozen=True)
class During:
    """What happened within a window (a campaign's days): registered, completed, passed
    and recognised then, each by the time it happened."""
    registered: int = 0
    completed: int = 0
    passed: int = 0
    recognised: int = 0


def during_of(cells) -> During:
    registered = completed = passed = recognised = 0
    for cell in cells:
        if not cell.during:
            continue
        joined, finished, decided = cell.during
        registered += joined
        if cell.stage in DONE:
            completed += finished
            passed += finished if cell.passed else 0
        recognised += decided if cell.stage == "recognised" else 0
    return During(registered, completed, passed, recognised)


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    path: str


@dataclass(frozen=True)
class Row:
    """A line of a breakdown: a child unit or a target group."""
    key: str            # unit code or group id
    name: str
    counts: Counts
    direct: bool = False   # citizens attached to the chosen unit itself, not to a child


@dataclass(frozen=True)
class CompetenceFigure:
    id: str
    name: str
    assessments: int    # completed assessments counted
    points: int         # their points in this competence, summed
    maximum: int        # the most they could have had, summed

    @property
    def average(self) -> float | None:
        return self.points / self.assessments if self.assessments else None

    @property
    def average_maximum(self) -> float | None:
        return self.maximum / self.assessments if self.assessments else None

    @property
    def share(self) -> float | None:
        return self.points / self.maximum if self.maximum else None


@dataclass(frozen=True)
class Month:
    month: int              # 1..12
    registered: int         # registrations in the month
    completed: int          # completions in the month
    registered_total: int   # registered by the end of the month
    completed_total: int


@dataclass(frozen=True)
class Figures:
    period: int
    totals: Counts
    by_group: tuple[Row, ...]
    by_competence: tuple[CompetenceFigure, ...]
    by_unit: tuple[Row, ...]
    by_month: tuple[Month, ...]
    during: During | None = None     # with a window (a campaign's days)
    as_of: datetime | None = None    # counted then, from a snapshot; None: just now


def month_bounds(period: int) -> tuple[datetime, ...]:
    """The 13 instants (UTC) that bound the months of the year `period` in Vietnam time:
    1 January 00:00, 1 February 00:00, ..., 1 January of the next year."""
    return tuple(datetime(period + (m == 12), m % 12 + 1, 1, tzinfo=VIETNAM).astimezone(timezone.utc)
                 for m in range(13))


def competence_maxima(criteria_sets) -> dict[tuple[str, str, str], dict[str, int]]:
    """(set id, version, group id) → competence id → the most points it gives."""
    maxima = {}
    for (set_id, version), criteria in criteria_sets.items():
        for group in criteria.groups:
            best: dict[str, int] = {}
            for indicator in group.indicators:
                best[indicator.competence] = best.get(indicator.competence, 0) + indicator.max_points
            maxima[(set_id, version, group.id)] = best
    return maxima


def summarise(cells, *, period: int, chosen: UnitInfo | None, units: dict[int, UnitInfo],
              children: list[UnitInfo], groups: dict[str, str], competences: dict[str, str],
              maxima: dict, now: datetime, windowed: bool = False) -> Figures:
    """Every breakdown from the query's cells. `units`: the chosen subtree by id;
    `children`: the chosen unit's direct children in display order (None chosen: the
    top-level units); `groups` / `competences`: id → name, in display order."""
    cells = list(cells)
    counted = [(cell, counts_of(cell)) for cell in cells]
    return Figures(period=period, totals=sum((counts for _, counts in counted), Counts()),
                   by_group=_by_group(counted, groups),
                   by_competence=_by_competence(cells, competences, maxima),
                   by_unit=_by_unit(counted, chosen, units, children),
                   by_month=_by_month(cells, period, now),
                   during=during_of(cells) if windowed else None)


def _by_group(counted, groups: dict[str, str]) -> tuple[Row, ...]:
    """`counted`: (cell, its counts) pairs."""
    found: dict[str, Counts] = {}
    for cell, counts in counted:
        key = cell.group or ""
        found[key] = found.get(key, Counts()) + counts
    order = [g for g in groups if g in found] + sorted(k for k in found if k not in groups)
    return tuple(Row(key, groups.get(key) or key or "Chưa chọn đối tượng", found[key]) for key in order)


def _by_competence(cells, competences: dict[str, str], maxima: dict) -> tuple[CompetenceFigure, ...]:
    sums = {key: [0, 0, 0] for key in competences}   # assessments, points, maximum
    for cell in cells:
        if cell.stage not in DONE or cell.criteria is None:
            continue
        best = maxima.get((*cell.criteria, cell.group), {})
        for key, most in best.items():
            if key in sums:
                sums[key][0] += cell.count
                sums[key][1] += cell.points.get(key) or 0
                sums[key][2] += most * cell.count
    return tuple(CompetenceFigure(key, competences[key], *sums[key])
                 for key in competences if sums[key][0])


def _by_unit(counted, chosen: UnitInfo | None, units: dict[int, UnitInfo],
             children: list[UnitInfo]) -> tuple[Row, ...]:
    """Each child with its whole subtree; then, if any, the citizens of the chosen unit
    itself (or, for everything, those with no unit yet). A unit without children: none.
    `counted`: (cell, its counts) pairs."""
    base = chosen.path if chosen else "/"
    by_path = {child.path: child for child in children}
    found: dict[str, Counts] = {}
    direct = Counts()
    for cell, counts in counted:
        unit = units.get(cell.unit_id)
        child = None
        if unit is not None and unit.path.startswith(base) and unit.path != base:
            top = base + unit.path[len(base):].split("/", 1)[0] + "/"
            child = by_path.get(top)
        if child is None:
            direct += counts
        else:
            found[child.code] = found.get(child.code, Counts()) + counts
    rows = [Row(child.code, child.name, found.get(child.code, Counts())) for child in children]
    if direct.registered and children:
        name = f"Trực thuộc {chosen.name}" if chosen else "Chưa có đơn vị"
        rows.append(Row(chosen.code if chosen else "", name, direct, direct=True))
    return tuple(rows)


def _by_month(cells, period: int, now: datetime) -> tuple[Month, ...]:
    """Months of the period up to the current one (all twelve for a past year)."""
    registered, completed = [0] * 13, [0] * 13
    for cell in cells:
        for i, n in enumerate(cell.registered_by):
            registered[i] += n
        for i, n in enumerate(cell.completed_by):
            completed[i] += n
    local = now.astimezone(VIETNAM)
    last = 12 if local.year > period else (local.month if local.year == period else 0)
    return tuple(Month(m, registered[m] - registered[m - 1], completed[m] - completed[m - 1],
                       registered[m], completed[m]) for m in range(1, last + 1))
