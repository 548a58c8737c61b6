"""Figures of big subtrees, kept: a province's dashboard reads the few thousand grouped
rows of its aggregate query from `figure_snapshots` instead of scanning 557,000
citizens (~1.2 s on the 2-core machine) on every view (docs/architecture.md, "The
officer console").

- Kept when a computation counted at least CDHT_FIGURES_SNAPSHOT_FROM citizens, so a
  commune is always counted live.
- Used while younger than USABLE_FOR, and while no unit was imported, moved or merged
  since (each snapshot holds the newest `unit.*` audit entry, read before its scan).
- An officer's decisions show at once: the units of the subtree with an assessment of
  the period decided since the snapshot was counted (less IN_FLIGHT, for a decision
  committed while the count ran) are found through `ix_assessments_decided_at` and
  counted again, their rows replacing the snapshot's; beyond PATCH_AT_MOST such units,
  the whole subtree is counted again and kept.
- Counted again every REFRESH_EVERY by the scheduler's `figures` job
  (figures.refresh_snapshots) while someone reads it; dropped after KEPT_UNREAD unread.
- Keeping one is a courtesy of the read: if its write fails the page is still served.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import defer

from storage.db import insert_for
from storage.models import Assessment, AuditEntry, Citizen, FigureSnapshot, Unit

from .scope import Scope
from .tally import Cell

log = logging.getLogger(__name__)
REFRESH_EVERY = timedelta(minutes=5)     # the `figures` job's interval
FRESH = timedelta(seconds=30)            # younger than this, the job leaves it: at most
                                         #   REFRESH_EVERY + FRESH old while the job runs
USABLE_FOR = timedelta(minutes=15)       # no job for three runs: count live again
READ_LATELY = timedelta(minutes=30)      # the job counts again only what was read lately
NOTE_READ_EVERY = timedelta(minutes=5)   # a read is written down at most this often
KEPT_UNREAD = timedelta(days=2)
VOIDING = ("unit.",)                     # audit actions that void every snapshot
# a decision dated this long before a snapshot's count began may have been committed after
# the count read the table: its unit is counted again too
IN_FLIGHT = timedelta(seconds=10)
PATCH_AT_MOST = 20                       # units counted again on a read; more: all of it


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


def decided_units(session, unit: Unit | None, period: int, since: datetime) -> set[int | None]:
    """The units of `unit`'s subtree with an assessment of `period` approved or returned
    since then (None among them: a citizen with no unit, an admin's)."""
    query = (select(Citizen.unit_id).distinct()
             .join(Assessment, Assessment.citizen_id == Citizen.id)
             .where(Assessment.decided_at > since, Assessment.period == period))
    if unit is not None:
        query = Scope(unit.path, unit.id).citizens(query)
    return set(session.scalars(query))


def encode(cells: list[Cell]) -> list[list]:
    return [[c.unit_id, c.group, list(c.criteria) if c.criteria else None, c.stage, c.passed,
             c.count, c.points, list(c.registered_by), list(c.completed_by), list(c.during)]
            for c in cells]


def decode(rows: list[list]) -> list[Cell]:
    return [Cell(unit_id=u, group=g, criteria=tuple(cr) if cr else None, stage=s, passed=p,
                 count=n, points=pts, registered_by=tuple(rb), completed_by=tuple(cb),
                 during=tuple(d))
            for u, g, cr, s, p, n, pts, rb, cb, d in rows]


def usable(snapshot: FigureSnapshot | None, mark: int, competences: list[str],
           now: datetime) -> bool:
    return (snapshot is not None and snapshot.audit_mark == mark
            and snapshot.competences == competences
            and now - USABLE_FOR <= snapshot.computed_at <= now + IN_FLIGHT)


def counted(session, runtime, unit: Unit | None, period: int, competences: list[str],
            window: tuple[datetime, datetime] | None, now: datetime, compute) -> Counted:
    """The cells of a subtree: its snapshot if usable (with the units decided on since
    counted again by `compute(units)`), else `compute()`, kept when it counted enough
    citizens."""
    keep_from = runtime.settings.figures_snapshot_from
    if not keep_from:
        return Counted(compute(), None)
    unit_id = unit.id if unit is not None else None
    key = key_of(unit_id, period, window)
    mark = audit_mark(session)      # before the scan: a change made during it voids it
    snapshot = session.scalars(select(FigureSnapshot).where(FigureSnapshot.key == key)).first()
    if usable(snapshot, mark, competences, now):
        changed = decided_units(session, unit, period, snapshot.computed_at - IN_FLIGHT)
        if None not in changed and len(changed) <= PATCH_AT_MOST:
            if snapshot.read_at < now - NOTE_READ_EVERY:
                _best_effort(_note_read, runtime, snapshot.id, now)
            cells = decode(snapshot.rows)
            if changed:
                cells = [c for c in cells if c.unit_id not in changed] + compute(changed)
            return Counted(cells, snapshot.computed_at)
    started = time.perf_counter()
    cells = compute()
    if sum(c.count for c in cells) >= keep_from:
        _best_effort(store, runtime, key, unit_id, period, window, competences, cells, mark, now,
                     took=time.perf_counter() - started)
    return Counted(cells, None)


def _best_effort(write, *args, **kwargs) -> None:
    try:
        write(*args, **kwargs)
    except Exception:   # the figures are counted: the page is served without keeping them
        log.warning("figures snapshot not written", exc_info=True)


def _note_read(runtime, snapshot_id: int, now: datetime) -> None:
    with runtime.db.transaction() as writing:
        writing.execute(update(FigureSnapshot).where(FigureSnapshot.id == snapshot_id)
                        .values(read_at=now))


def store(runtime, key: str, unit_id: int | None, period: int,
          window: tuple[datetime, datetime] | None, competences: list[str], cells: list[Cell],
          mark: int, now: datetime, took: float, read_at: datetime | None = None) -> None:
    """Keep `cells` (counted from `now`, `took` seconds) under `key`, replacing any;
    read then (a view), or at `read_at` (the job)."""
    values = dict(unit_id=unit_id, period=period,
                  window_starts=window[0] if window else None,
                  window_ends=window[1] if window else None,
                  competences=competences, rows=encode(cells),
                  citizens=sum(c.count for c in cells), audit_mark=mark, computed_at=now,
                  took_ms=round(took * 1000), read_at=read_at or now)
    with runtime.db.transaction() as session:
        session.execute(insert_for(session)(FigureSnapshot).values(key=key, **values)
                        .on_conflict_do_update(index_elements=["key"], set_=values))


def due(runtime, now: datetime) -> list[FigureSnapshot]:
    """The snapshots to count again: read in the last READ_LATELY, and older than FRESH
    or void (their rows not loaded); those unread for KEPT_UNREAD are dropped."""
    with runtime.db.transaction() as session:
        session.execute(delete(FigureSnapshot).where(FigureSnapshot.read_at < now - KEPT_UNREAD))
        mark = audit_mark(session)
        read = (select(FigureSnapshot).options(defer(FigureSnapshot.rows))
                .where(FigureSnapshot.read_at >= now - READ_LATELY).order_by(FigureSnapshot.id))
        return [s for s in session.scalars(read)
                if s.computed_at <= now - FRESH or s.audit_mark != mark]


def drop(runtime, snapshot_ids: list[int] | None = None) -> int:
    """Drop these snapshots (None: all of them); how many went."""
    with runtime.db.transaction() as session:
        query = delete(FigureSnapshot)
        if snapshot_ids is not None:
            query = query.where(FigureSnapshot.id.in_(snapshot_ids))
        return session.execute(query).rowcount
