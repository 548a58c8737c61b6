"""The unit tree: the officer's subtree with counts, a unit's page, moving and merging.
Importing (files and the official divisions) is in units_import.py."""

from datetime import datetime, timezone

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.outreach.recipients import current_period
from bot.units import counts
from bot.units.admin_import import province_title, provinces
from bot.units.reshape import OutOfScope, ReshapeError, merge, move
from bot.units.rules import KINDS
from flows.units.codes import code_key
from storage.models import Unit, fold_name

from ..audit import record
from ..auth import current_actor
from . import units_import

MAX_FOUND = 300     # search results shown


class Refused(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def register(bp, runtime) -> None:
    units_import.register(bp, runtime)

    @bp.get("/units")
    def units():
        period = _period()
        if period is None:
            return _bad_period()
        query = request.args.get("q", "").strip()[:100]
        with runtime.db.read() as db_session:
            tops = counts.tree(db_session, g.scope.path, period)
        found = _search(tops, query) if query else None
        return render_template("admin/units.html", tops=tops, found=found, query=query,
                               period=period, kinds=KINDS, max_found=MAX_FOUND,
                               provinces=[(int(p.code), province_title(p)) for p in provinces()]
                               if g.officer.role == "admin" else [])

    @bp.get("/units/<code>")
    def unit(code):
        return _unit_page(runtime, code)

    @bp.post("/units/<code>/move")
    def unit_move(code):
        def change(db_session, unit, other, now):
            old_parent = unit.parent.code if unit.parent else None
            moved = move(db_session, unit, other, g.scope.path)
            if moved:
                record(db_session, current_actor(), "unit.move", f"unit {unit.code}", now,
                       old_parent=old_parent, new_parent=other.code, units=moved)
                return f"Đã chuyển {unit.name} ({unit.code}) vào {other.name} ({other.code})."
            return f"{unit.name} đã ở dưới {other.name}; không có gì thay đổi."
        return _reshape(runtime, code, "parent", "mã đơn vị cấp trên mới", change)

    @bp.post("/units/<code>/merge")
    def unit_merge(code):
        def change(db_session, unit, other, now):
            moved = merge(db_session, unit, other, g.scope.path)
            record(db_session, current_actor(), "unit.merge", f"unit {unit.code}", now,
                   into=other.code, **moved)
            return (f"Đã sáp nhập {unit.name} ({unit.code}) vào {other.name} ({other.code}): "
                    f"{moved['citizens']} công dân, {moved['children']} đơn vị trực thuộc, "
                    f"{moved['officers']} cán bộ đã chuyển sang.")
        return _reshape(runtime, code, "target", "mã đơn vị sáp nhập vào", change)


def _period() -> int | None:
    """The year whose assessments are counted: ?period=2026, else this year; None if bad."""
    text = request.args.get("period", "").strip()
    if not text:
        return current_period(datetime.now(timezone.utc))
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        return None
    return int(text)


def _bad_period():
    return render_template("admin/error.html", code=400,
                           message="Năm đánh giá không hợp lệ (ví dụ: period=2026)."), 400


def _search(tops, query: str) -> list:
    words, key = fold_name(query), code_key(query)
    found = []
    stack = list(reversed(tops))
    while stack and len(found) < MAX_FOUND + 1:
        node = stack.pop()
        if words in fold_name(node.name) or (key and key in code_key(node.code)):
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def _unit_page(runtime, code: str, error: str | None = None, status: int = 200, form=None):
    period = _period()
    if period is None:
        return _bad_period()
    with runtime.db.read() as db_session:
        unit = g.scope.unit_or_404(db_session, code)
        ancestors = unit.path.strip("/").split("/")[:-1]
        chain = db_session.scalars(g.scope.units(
            select(Unit).where(Unit.code.in_(ancestors))).order_by(Unit.path)).all()
        node = next(iter(counts.tree(db_session, unit.path, period, active_only=False)), None)
        merged_into = db_session.get(Unit, unit.merged_into_id) if unit.merged_into_id else None
        merged_here = db_session.scalars(g.scope.units(select(Unit).where(
            Unit.merged_into_id == unit.id)).order_by(Unit.code)).all()
    return render_template(
        "admin/unit.html", unit=unit, chain=chain, node=node, kinds=KINDS, period=period,
        children=[c for c in node.children if c.active] if node else [],
        merged_into=merged_into if merged_into and g.scope.covers(merged_into) else None,
        merged_here=merged_here, error=error, form=form or {},
        can_reshape=unit.active and unit.path != g.scope.path), status


def _reshape(runtime, code: str, field: str, label: str, change):
    """Move or merge `code` with the unit named in the form's `field`."""
    wanted = request.form.get(field, "").strip()
    try:
        if not wanted:
            raise Refused(f"Hãy nhập {label}.", 400)
        with runtime.db.transaction() as db_session:
            unit = g.scope.unit_or_404(db_session, code)
            other = db_session.scalars(select(Unit).where(Unit.code == wanted)).first()
            if other is None or not g.scope.covers(other):
                raise Refused(f"Không có đơn vị mã {wanted} trong phạm vi của bạn.", 404)
            message = change(db_session, unit, other, datetime.now(timezone.utc))
    except OutOfScope:
        abort(404)
    except ReshapeError as exc:
        return _unit_page(runtime, code, str(exc), 400, request.form)
    except Refused as exc:
        return _unit_page(runtime, code, str(exc), exc.status, request.form)
    runtime.units_changed()
    flash(message, "ok")
    return redirect(url_for("admin.unit", code=code))
