"""Console accounts and the audit log (bot/console/)."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Officer(Base):
    """A console account: "admin" (everything, accounts, the audit log) or "officer" of a
    unit, who sees and acts on that unit's subtree only."""
    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))   # werkzeug scrypt
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))   # None: an admin's
    role: Mapped[str] = mapped_column(String(32), default="officer")     # "admin" | "officer"
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql("true"))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    phone: Mapped[str | None] = mapped_column(String(20))   # E.164: where "send a test to me" goes
    created_at: Mapped[datetime]
    unit: Mapped["Unit | None"] = relationship("Unit")


class AuditEntry(Base):
    """One change made in the console or by a command: who, when, what, to what."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))   # username, or "cli"
    action: Mapped[str] = mapped_column(String(48))  # "recognition.approve", "unit.move"…
    target: Mapped[str] = mapped_column(String(200), index=True)  # "assessment 12", "unit 12364"…
    detail: Mapped[dict | None] = mapped_column(JSON)
