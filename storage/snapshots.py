"""Snapshots of the console's figures for big subtrees (bot/console/snapshots.py): the
few thousand grouped rows of the aggregate query for a province and period, kept so its
dashboard does not scan half a million citizens on every view."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class FigureSnapshot(Base):
    __tablename__ = "figure_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)   # unit, period, window
    unit_id: Mapped[int | None]            # None: everything (an admin's)
    period: Mapped[int]
    window_starts: Mapped[datetime | None]  # a campaign's days, counted in the same scan
    window_ends: Mapped[datetime | None]
    competences: Mapped[list] = mapped_column(JSON)   # the order the rows' points follow
    rows: Mapped[list] = mapped_column(JSON)          # tally.Cell's fields, a list per cell
    citizens: Mapped[int]                  # how many were counted
    audit_mark: Mapped[int]                # the newest unit.* audit entry, or 0, read before
                                           #   the scan: a newer one voids this
    computed_at: Mapped[datetime]          # when the scan started
    took_ms: Mapped[int]
    read_at: Mapped[datetime]              # noted every 5 minutes at most; unread for 2 days: dropped
