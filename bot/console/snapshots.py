"""Figures of big subtrees, kept: a province's dashboard reads the few thousand grouped
rows of its aggregate query from `figure_snapshots` instead of scanning 557,000
citizens (~1.2 s on the 2-core machine) on every view (docs/architecture.md, "The
officer console").

- Kept when a computation counted at least CDHT_FIGURES_SNAPSHOT_FROM citizens, so a
  commune is always counted live.
- Used while younger than USABLE_FOR and while no officer has changed anything since:
  each snapshot holds the newest `recognition.*` / `unit.*` audit entry, read before its
  scan, and a newer one voids every snapshot at once.
- Computed again every REFRESH_EVERY by the scheduler's `figures` job
  (figures.refresh_snapshots) while someone reads it; dropped after KEPT_UNREAD unread.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from storage.db import insert_for
from storage.models import AuditEntry, FigureSnapshot

from .tally import Cell

REFRESH_EVERY = timedelta(minutes=5)
USABLE_FOR = timedelta(minutes=15)       # three missed refreshes: count live again
KEPT_UNREAD = timedelta(days=2)
NOTE_READ_EVERY = timedelta(hours=1)     # a read is written down at most this often
VOIDING = ("recognition.", "unit.")      # audit actions that change figures


@dataclass(frozen=True)
class Counted:
    cells: list[Cell]
    as_of: datetime | None               # the snapshot's time; None: counted just now


def key_of(unit_id: int | None, period: int, window: tuple[datetime, datetime] | None) -> str:
    span = "-" if window is None else f"{window[0].timestamp():.0f}-{window[1].timestamp():.0f}"
    return f"{'*' if unit_id is None else unit_id}:{period}:{span}"


def audit_mark(session) -> int:
    """The newest audit entry that changes figures (0: none yet)."""
    return session.scalar(select(func.max(AuditEntry.id)).where(
        or_(*(AuditEntry.action.startswith(prefix) for prefix in VOIDING)))) or 0


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
            and now - USABLE_FOR <= snapshot.computed_at <= now + timedelta(minutes=1))


def counted(session, runtime, unit_id: int | None, period: int, competences: list[str],
            window: tuple[datetime, datetime] | None, now: datetime, compute) -> Counted:
    """The cells of a subtree: its snapshot if usable, else `compute()`, kept when it
    counted enough citizens."""
    keep_from = runtime.settings.figures_snapshot_from
    if not keep_from:
        return Counted(compute(), None)
    key = key_of(unit_id, period, window)
    mark = audit_mark(session)      # before the scan: a decision taken during it voids it
    snapshot = session.scalars(select(FigureSnapshot).where(FigureSnapshot.key == key)).first()
    if usable(snapshot, mark, competences, now):
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
