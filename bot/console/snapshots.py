"""Figures of big subtrees, kept: a province's dashboard reads the few thousand grouped
rows of its aggregate query from `figure_snapshots` instead of scanning 557,000
citizens (~1.2 s on the 2-core machine) on every view (docs/architecture.md, "The
officer console").

- Kept when a computation counted at least CDHT_FIGURES_SNAPSHOT_FROM citizens, so a
  commune is always counted live.
- Used while younger than USABLE_FOR and while no officer has changed anything it
  counts: a recognition decision in its subtree since it was counted (found through
  `ix_assessments_decided_at`, so a decision in one province leaves the others' alone),
  or any change of units (a `unit.*` audit entry newer than the one it holds, read
  before its scan: these are rare, and a move can touch any subtree).
- Computed again every REFRESH_EVERY by the scheduler's `figures` job
  (figures.refresh_snapshots) while someone reads it; dropped after KEPT_UNREAD unread.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from storage.db import insert_for
from storage.models import Assessment, AuditEntry, Citizen, FigureSnapshot, Unit

from .tally import Cell

REFRESH_EVERY = timedelta(minutes=5)
USABLE_FOR = timedelta(minutes=15)       # three missed refreshes: count live again
KEPT_UNREAD = timedelta(days=2)
NOTE_READ_EVERY = timedelta(hours=1)     # a read is written down at most this often
VOIDING = ("unit.",)                     # audit actions that void every snapshot
# A decision dated this long before a snapshot's scan began may not have been committed
# when the scan read the table: it voids the snapshot too (one more count, no stale figure).
IN_FLIGHT = timedelta(seconds=10)


@dataclass(frozen=True)
class Counted:
    cells: list[Cell]
    as_of: datetime | None               # the snapshot's time; None: counted just now


def key_of(unit_id: int | None, period: int, window: tuple[datetime, datetime] | None) -> str:
    span = "-" if window is None else f"{window[0].timestamp():.0f}-{window[1].timestamp():.0f}"
    return f"{'*' if unit_id is None else unit_id}:{period}:{span}"


def audit_mark(session) -> int:
    """The newest audit entry that changes every subtree's figures (0: none yet)."""
    return session.scalar(select(func.max(AuditEntry.id)).where(
        or_(*(AuditEntry.action.startswith(prefix) for prefix in VOIDING)))) or 0


def decided_since(session, unit: Unit | None, since: datetime) -> bool:
    """Has an officer approved or returned an assessment of `unit`'s subtree since then?"""
    query = select(Assessment.id).where(Assessment.decided_at > since)
    if unit is not None:
        query = query.join(Citizen, Citizen.id == Assessment.citizen_id).where(
            Citizen.unit_id.in_(select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))))
    return session.scalar(query.limit(1)) is not None


def encode(cells: list[Cell]) -> list[list]:
    return [[c.unit_id, c.group, list(c.criteria) if c.criteria else None, c.stage, c.passed,
             c.count, c.points, list(c.registered_by), list(c.completed_by), list(c.during)]
            for c in cells]


def decode(rows: list[list]) -> list[Cell]:
    return [Cell(unit_id=u, group=g, criteria=tuple(cr) if cr else None, stage=s, passed=p,
                 count=n, points=pts, registered_by=tuple(rb), completed_by=tuple(cb),
                 during=tuple(d))
            for u, g, cr, s, p, n, pts, rb, cb, d in rows]


def usable(session, snapshot: FigureSnapshot | None, unit: Unit | None, mark: int,
           competences: list[str], now: datetime) -> bool:
    return (snapshot is not None and snapshot.audit_mark == mark
            and snapshot.competences == competences
            and now - USABLE_FOR <= snapshot.computed_at <= now + timedelta(minutes=1)
            and not decided_since(session, unit, snapshot.computed_at - IN_FLIGHT))


def counted(session, runtime, unit: Unit | None, period: int, competences: list[str],
            window: tuple[datetime, datetime] | None, now: datetime, compute) -> Counted:
    """The cells of a subtree: its snapshot if usable, else `compute()`, kept when it
    counted enough citizens."""
    keep_from = runtime.settings.figures_snapshot_from
    if not keep_from:
        return Counted(compute(), None)
    unit_id = unit.id if unit is not None else None
    key = key_of(unit_id, period, window)
    mark = audit_mark(session)      # before the scan: a change made during it voids it
    snapshot = session.scalars(select(FigureSnapshot).where(FigureSnapshot.key == key)).first()
    if usable(session, snapshot, unit, mark, competences, now):
        if snapshot.read_at < now - NOTE_READ_EVERY:
            with runtime.db.transaction() as writing:
                writing.execute(update(FigureSnapshot).where(FigureSnapshot.id == snapshot.id)
                                .values(read_at=now))
        return Counted(decode(snapshot.rows), snapshot.computed_at)
    started = time.perf_counter()
    cells = compute()
    if sum(c.count for c in cells) >= keep_from:
        store(runtime, key, unit_id, period, window, competences, cells, mark, now,
              took=time.perf_counter() - started)
    return Counted(cells, None)


def store(runtime, key: str, unit_id: int | None, period: int,
          window: tuple[datetime, datetime] | None, competences: list[str], cells: list[Cell],
          mark: int, now: datetime, took: float, read_at: datetime | None = None) -> None:
    """Keep `cells` (counted from `now`, `took` seconds) under `key`, replacing any."""
    values = dict(unit_id=unit_id, period=period,
                  window_starts=window[0] if window else None,
                  window_ends=window[1] if window else None,
                  competences=competences, rows=encode(cells),
                  citizens=sum(c.count for c in cells), audit_mark=mark, computed_at=now,
                  took_ms=round(took * 1000))
    with runtime.db.transaction() as session:
        session.execute(insert_for(session)(FigureSnapshot)
                        .values(key=key, read_at=read_at or now, **values)
                        .on_conflict_do_update(index_elements=["key"], set_=values))


def due(runtime, now: datetime) -> list[FigureSnapshot]:
    """The snapshots to compute again (read lately, older than REFRESH_EVERY, or void);
    those unread for KEPT_UNREAD are dropped."""
    with runtime.db.transaction() as session:
        session.execute(delete(FigureSnapshot).where(FigureSnapshot.read_at < now - KEPT_UNREAD))
        mark = audit_mark(session)
        return [s for s in session.scalars(select(FigureSnapshot).order_by(FigureSnapshot.id))
                if s.computed_at <= now - REFRESH_EVERY + timedelta(seconds=30)
                or s.audit_mark != mark]


def drop(runtime, snapshot_id: int) -> None:
    with runtime.db.transaction() as session:
        session.execute(delete(FigureSnapshot).where(FigureSnapshot.id == snapshot_id))
