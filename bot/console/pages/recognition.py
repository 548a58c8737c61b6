"""Recognition: the queue of assessments awaiting a decision (and the returned ones),
approving or returning one at a time or many at once."""

from datetime import datetime, timezone

from flask import flash, g, redirect, render_template, request, url_for

from bot.outreach.recipients import current_period

from ..citizens import PAGE_SIZE, BadFilter, Filters, group_names, read_filters, unit_choices
from ..recognition import MAX_REASON, TABS, RecognitionError, approve, queue, return_
from ..scope import valid_id
from storage.standing import status_of
from .citizens import render_citizen

ALREADY = {"approve": "recognised", "return": "returned"}
ALREADY_TEXT = {"approve": "Bài này đã được công nhận rồi.", "return": "Bài này đã được trả lại rồi."}
DONE = {"approve": "Đã công nhận", "return": "Đã trả lại"}
KEPT = ("tab", "unit", "group", "period", "page")   # the queue's own query string


def _safe_next(target: str | None, fallback: str) -> str:
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def _ids(values) -> list[int] | None:
    try:
        ids = [int(v) for v in values]
    except ValueError:
        return None
    return ids if all(valid_id(i) for i in ids) else None


def register(bp, runtime) -> None:
    def decide(db_session, action, ids, reason, now):
        if action == "approve":
            return approve(db_session, runtime, g.officer, ids, now)
        return return_(db_session, runtime, g.officer, ids, reason, now)

    def render_queue(args, error=None, reason="", code=200):
        now = datetime.now(timezone.utc)
        groups = group_names(runtime.criteria_sets, runtime.criteria)
        tab = args.get("tab") or "awaiting"
        rows, total, readable = [], 0, True
        try:
            if tab not in TABS:
                raise BadFilter("Không có mục này.")
            filters = read_filters(args, groups, now)
        except BadFilter as exc:
            error, code, readable = str(exc), 400, False
            tab, filters = "awaiting", Filters(period=current_period(now))
        with runtime.db.read() as db_session:
            if readable:
                unit = g.scope.unit_or_404(db_session, filters.unit) if filters.unit else None
                rows, total = queue(db_session, g.scope, tab, filters, unit, groups, PAGE_SIZE)
            units = unit_choices(db_session, g.scope)
        return render_template("admin/recognition.html", rows=rows, total=total, tab=tab, tabs=TABS,
                               filters=filters, groups=groups, units=units, error=error,
                               reason=reason, max_reason=MAX_REASON, page_size=PAGE_SIZE,
                               pages=max(1, -(-total // PAGE_SIZE)), title="Công nhận"), code

    @bp.get("/recognition")
    def recognition():
        return render_queue(request.args)

    def single(assessment_id: int, action: str):
        reason = request.form.get("reason", "")
        with runtime.db.transaction() as db_session:
            assessment = g.scope.assessment_or_404(db_session, assessment_id)
            citizen_id, period = assessment.citizen_id, assessment.period
            try:
                outcome = decide(db_session, action, [assessment_id], reason, datetime.now(timezone.utc))
                error = outcome.skipped.get(assessment_id)
            except RecognitionError as exc:
                error = str(exc)
            already = error is not None and status_of(assessment) == ALREADY[action]
        back = _safe_next(request.form.get("next"),
                          url_for("admin.citizen", citizen_id=citizen_id, period=period))
        if already:   # a second click: nothing was needed
            flash(ALREADY_TEXT[action], "ok")
        elif error:
            return render_citizen(runtime, citizen_id, period, error=error, reason=reason, code=400)
        else:
            flash(f"{DONE[action]} bài tự đánh giá năm {period}; công dân sẽ được báo qua Zalo "
                  "hoặc SMS.", "ok")
        return redirect(back, 303)

    @bp.post("/assessments/<int:assessment_id>/approve", endpoint="approve")
    def approve_one(assessment_id):
        return single(assessment_id, "approve")

    @bp.post("/assessments/<int:assessment_id>/return")
    def return_assessment(assessment_id):
        return single(assessment_id, "return")

    @bp.post("/recognition/bulk")
    def recognition_bulk():
        action, reason = request.form.get("action", ""), request.form.get("reason", "")
        if action not in ALREADY:
            return render_queue(request.form, error="Hãy chọn Công nhận hoặc Trả lại.", code=400)
        ids = _ids(request.form.getlist("ids"))
        if ids is None:
            return render_queue(request.form, error="Mã bài không hợp lệ.", code=400)
        try:
            with runtime.db.transaction() as db_session:
                outcome = decide(db_session, action, ids, reason, datetime.now(timezone.utc))
        except RecognitionError as exc:
            return render_queue(request.form, error=str(exc), reason=reason, code=400)
        message = f"{DONE[action]} {len(outcome.done)} bài."
        if outcome.skipped:
            why = sorted(set(outcome.skipped.values()))
            message += f" Bỏ qua {len(outcome.skipped)} bài: " + " ".join(why)
        flash(message, "ok" if outcome.done else "error")
        return redirect(url_for("admin.recognition", **{k: v for k in KEPT
                                                        if (v := request.form.get(k))}), 303)
