"""The audit log (admins only): newest first, filtered by who and what."""

from flask import render_template, request
from sqlalchemy import func, select

from storage.models import AuditEntry

from ..audit import ACTIONS
from ..auth import admin_only

PAGE = 100


def register(bp, runtime) -> None:
    @bp.get("/audit")
    @admin_only
    def audit():
        actor = request.args.get("actor", "").strip()
        action = request.args.get("action", "")
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        query = select(AuditEntry)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if action in ACTIONS:
            query = query.where(AuditEntry.action == action)
        with runtime.db.read() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            entries = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                      .limit(PAGE).offset((page - 1) * PAGE)).all()
        return render_template("admin/audit.html", entries=entries, actions=ACTIONS, actor=actor,
                               action=action, page=page, total=total,
                               pages=max(1, -(-total // PAGE)))
