"""Campaigns (bot/outreach/, the console's Chiến dịch pages): a named period such as the
lifelong-learning week, for one unit's subtree; its broadcasts are listed under it and
the dashboard shows the period's figures beside the totals."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)   # Vietnam's calendar, both days included
    ends_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    unit: Mapped["Unit"] = relationship("Unit")
