"""Thông báo: the list of an officer's broadcasts, the composer (with its live counter),
the preview with the channel split, cost and a test to the officer's own phone, the
confirmation, and the progress page that updates itself while the messages go out."""

import secrets
from datetime import datetime, timezone

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from messages_vi.render import ZALO_MAX
from storage.models import Broadcast, Campaign, Course, Officer

from ...outreach.broadcasts import BroadcastError, cancel, create
from ...outreach.reach import estimate_record
from ...outreach.recipients import CHANNELS, STATUSES
from ..audit import record
from ..broadcasts import (BadDraft, count, preview, progressed, queue_test, read_draft, reason_vi,
                          row_id)
from ..citizens import group_names, unit_choices
from ..courses import announcement_text, indicator_names

PAGE = 50
# planned in the request up to this many recipients (PostgreSQL writes ~30,000–40,000 rows
# a second: bench/campaign.py); a bigger one is planned by the scheduler within 30 s
PLAN_IN_REQUEST = 50_000
COUNT_AT_MOST = 4 * ZALO_MAX
FIELDS = ("unit", "text", "sms_text", "group", "status", "channel", "campaign", "course",
          "weak_only", "send_at", "key")


def register(bp, runtime) -> None:
    bp.add_app_template_filter(reason_vi, "reason_vi")

    def now():
        return datetime.now(timezone.utc)

    def groups():
        return group_names(runtime.criteria_sets, runtime.criteria)

    def broadcast_or_404(session, broadcast_id):
        return g.scope.owned_or_404(session, Broadcast, broadcast_id)

    def composer(form, error=None, code=200):
        with runtime.db.read() as session:
            units = unit_choices(session, g.scope)
            campaigns = g.scope.units(select(Campaign).join(Campaign.unit)).order_by(Campaign.starts_on.desc())
            courses = g.scope.units(select(Course).join(Course.unit)).order_by(Course.starts_at.desc())
            return render_template(
                "admin/broadcast_new.html", form=form, error=error, units=units,
                groups=groups(), statuses=STATUSES, channels=CHANNELS,
                campaigns=session.scalars(campaigns.limit(100)).all(),
                courses=session.scalars(courses.limit(100)).all(),
                counter=count(form.get("text", ""), form.get("sms_text", "")),
                title="Soạn thông báo"), code

    @bp.get("/broadcasts")
    def broadcasts():
        with runtime.db.read() as session:
            query = g.scope.units(select(Broadcast).join(Broadcast.unit))
            rows = session.scalars(query.order_by(Broadcast.id.desc()).limit(PAGE)).all()
            shown = [(b, progressed(session, b)) for b in rows]
            return render_template("admin/broadcasts.html", shown=shown, statuses=STATUSES,
                                   title="Thông báo")

    @bp.get("/broadcasts/new")
    def broadcast_new():
        form = {"key": secrets.token_hex(16), "status": "all"}
        with runtime.db.read() as session:
            course_id = request.args.get("course", "")
            if course_id:
                course = g.scope.owned_or_404(session, Course, row_id(course_id))
                form |= {"course": str(course.id), "unit": course.unit.code, "weak_only": "1",
                         "text": announcement_text(course, runtime.criteria)}
            campaign_id = request.args.get("campaign", "")
            if campaign_id:
                campaign = g.scope.owned_or_404(session, Campaign, row_id(campaign_id))
                form |= {"campaign": str(campaign.id), "unit": form.get("unit") or campaign.unit.code}
        form.setdefault("unit", g.officer.unit.code if g.officer.unit else "")
        return composer(form)

    @bp.post("/broadcasts/count")
    def broadcast_count():
        # asked at every pause in typing: a text far past what may be sent is not counted
        # in full (the preview refuses it anyway)
        text, sms = (request.form.get(k, "")[:COUNT_AT_MOST] for k in ("text", "sms_text"))
        return jsonify(count(text, sms).json())

    def render_preview(form, session, draft, error=None, code=200):
        shown = preview(session, runtime, draft, now())
        return render_template(
            "admin/broadcast_preview.html", form=form, p=shown, error=error,
            groups=groups(), statuses=STATUSES, channels=CHANNELS,
            indicators=indicator_names(runtime.criteria_sets, runtime.criteria),
            officer_phone=g.officer.phone or "", title="Xem trước thông báo"), code

    def draft_form():
        form = {k: request.form.get(k, "") for k in FIELDS}
        form["key"] = form["key"] or secrets.token_hex(16)
        return form

    @bp.post("/broadcasts/preview")
    def broadcast_preview():
        form = draft_form()
        with runtime.db.read() as session:
            try:
                draft = read_draft(form, session, g.scope, groups(), now())
            except BadDraft as exc:
                return composer(form, str(exc), 400)
            form["sms_text"] = draft.sms_text
            return render_preview(form, session, draft)

    @bp.post("/broadcasts/edit")
    def broadcast_edit():
        return composer(draft_form())

    @bp.post("/broadcasts/test")
    def broadcast_test():
        form = draft_form()
        with runtime.db.transaction() as session:
            try:
                draft = read_draft(form, session, g.scope, groups(), now())
            except BadDraft as exc:
                return composer(form, str(exc), 400)
            officer = session.get(Officer, g.officer.id)
            try:
                phone = queue_test(session, runtime, officer, draft, request.form.get("phone", ""), now())
            except BadDraft as exc:
                return render_preview(form, session, draft, str(exc), 400)
            record(session, g.officer.username, "broadcast.test", f"officer {officer.username}",
                   now(), phone=phone[:-4] + "****")
            g.officer.phone = phone
            runtime.outbox_waiting.set()
            flash(f"Đã gửi thử bản SMS đến {phone}. Kiểm tra điện thoại rồi bấm xác nhận.", "ok")
            return render_preview(form, session, draft)

    @bp.post("/broadcasts")
    def broadcast_send():
        form = draft_form()
        moment = now()
        with runtime.db.transaction() as session:
            try:
                draft = read_draft(form, session, g.scope, groups(), moment)
            except BadDraft as exc:
                return composer(form, str(exc), 400)
            shown = preview(session, runtime, draft, moment)
            try:
                made = create(session, draft.unit.code, draft.text, moment, sms_text=draft.sms_text,
                              group=draft.group or None, status=draft.status, at=draft.send_at,
                              created_by=g.officer.username, key=draft.key or None,
                              runtime=runtime, channel=draft.channel or None,
                              campaign_id=draft.campaign.id if draft.campaign else None,
                              course_id=draft.course.id if draft.course else None,
                              weak_only=draft.weak_only,
                              estimate=estimate_record(shown.split, shown.cost),
                              plan_now=shown.recipients <= PLAN_IN_REQUEST)
            except BroadcastError as exc:
                return composer(form, str(exc), 400)
            if not made.existing:
                record(session, g.officer.username, "broadcast.create", f"broadcast {made.broadcast.id}",
                       moment, unit=draft.unit.code, recipients=made.recipients,
                       send_at=made.broadcast.send_at.isoformat())
            broadcast_id = made.broadcast.id
        runtime.outbox_waiting.set()   # wake the dispatcher
        return redirect(url_for("admin.broadcast", broadcast_id=broadcast_id), 303)

    @bp.get("/broadcasts/<int:broadcast_id>")
    def broadcast(broadcast_id):
        with runtime.db.read() as session:
            b = broadcast_or_404(session, broadcast_id)
            preparing = b.state == "scheduled" and b.send_at <= now()
            return render_template("admin/broadcast.html", b=b, p=progressed(session, b),
                                   preparing=preparing,
                                   statuses=STATUSES, channels=CHANNELS, groups=groups(),
                                   title=f"Thông báo số {b.id}")

    @bp.get("/broadcasts/<int:broadcast_id>/progress.json")
    def broadcast_progress(broadcast_id):
        with runtime.db.read() as session:
            return jsonify(progressed(session, broadcast_or_404(session, broadcast_id)).json())

    @bp.post("/broadcasts/<int:broadcast_id>/cancel")
    def broadcast_cancel(broadcast_id):
        moment = now()
        with runtime.db.transaction() as session:
            b = broadcast_or_404(session, broadcast_id)
            if b.state == "cancelled":
                flash("Thông báo này đã dừng rồi.", "ok")
            else:
                stopped = cancel(session, broadcast_id, moment)
                record(session, g.officer.username, "broadcast.cancel", f"broadcast {broadcast_id}",
                       moment, stopped=stopped)
                flash(f"Đã dừng: {stopped} tin chưa gửi sẽ không được gửi.", "ok")
        return redirect(url_for("admin.broadcast", broadcast_id=broadcast_id), 303)
