"""Khoá học: community learning centre courses — the list, creating and editing one, who
said they will come, and announcing it (the composer, first to those weak on its
indicators)."""

from datetime import datetime, timezone

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from messages_vi.render import TIMEZONE
from storage.models import Broadcast, Course

from ..audit import record
from ..broadcasts import progressed
from ..citizens import unit_choices
from ..courses import BadCourse, indicator_names, read_course, save, signups

PAGE = 100


def _local(moment: datetime | None) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M") if moment else ""


def register(bp, runtime) -> None:
    def names():
        return indicator_names(runtime.criteria_sets, runtime.criteria)

    def course_or_404(session, course_id):
        return g.scope.owned_or_404(session, Course, course_id)

    def edit_page(form, course=None, error=None, code=200):
        with runtime.db.read() as session:
            return render_template("admin/course_edit.html", form=form, course=course,
                                   units=unit_choices(session, g.scope), indicators=names(),
                                   error=error, title="Khoá học"), code

    @bp.get("/courses")
    def courses():
        with runtime.db.read() as session:
            query = g.scope.units(select(Course).join(Course.unit))
            rows = session.scalars(query.order_by(Course.starts_at.desc()).limit(PAGE)).all()
            return render_template("admin/courses.html", courses=rows, indicators=names(),
                                   title="Khoá học")

    @bp.get("/courses/new")
    def course_new():
        return edit_page({"unit": g.officer.unit.code if g.officer.unit else "", "indicators": []})

    @bp.post("/courses")
    def course_create():
        now = datetime.now(timezone.utc)
        with runtime.db.transaction() as session:
            try:
                data = read_course(request.form, session, g.scope, names(), now)
            except BadCourse as exc:
                return edit_page(_form(request.form), error=str(exc), code=400)
            course = save(session, None, data, g.officer.username, now)
            record(session, g.officer.username, "course.create", f"course {course.id}", now,
                   title=data.title, unit=data.unit.code)
            course_id = course.id
        flash("Đã tạo khoá học. Bấm “Thông báo khoá học” để báo cho người dân.", "ok")
        return redirect(url_for("admin.course", course_id=course_id), 303)

    @bp.get("/courses/<int:course_id>")
    def course(course_id):
        with runtime.db.read() as session:
            c = course_or_404(session, course_id)
            answered = signups(session, c, g.scope)
            sent = session.scalars(select(Broadcast).where(Broadcast.course_id == c.id)
                                   .order_by(Broadcast.id.desc())).all()
            shown = [(b, progressed(session, b)) for b in sent if g.scope.covers(b.unit)]
            return render_template("admin/course.html", c=c, signups=answered, shown=shown,
                                   coming=sum(s.coming for s in answered), indicators=names(),
                                   title=c.title)

    @bp.get("/courses/<int:course_id>/edit")
    def course_edit(course_id):
        with runtime.db.read() as session:
            c = course_or_404(session, course_id)
            form = {"unit": c.unit.code, "title": c.title, "place": c.place,
                    "starts_at": _local(c.starts_at), "ends_at": _local(c.ends_at),
                    "indicators": list(c.indicators)}
            return edit_page(form, c)

    @bp.post("/courses/<int:course_id>")
    def course_update(course_id):
        now = datetime.now(timezone.utc)
        with runtime.db.transaction() as session:
            c = course_or_404(session, course_id)
            try:
                data = read_course(request.form, session, g.scope, names(), now)
            except BadCourse as exc:
                return edit_page(_form(request.form), c, str(exc), 400)
            save(session, c, data, g.officer.username, now)
            record(session, g.officer.username, "course.update", f"course {c.id}", now,
                   title=data.title, unit=data.unit.code)
        flash("Đã lưu khoá học.", "ok")
        return redirect(url_for("admin.course", course_id=course_id), 303)


def _form(form) -> dict:
    return {k: form.get(k, "") for k in ("unit", "title", "place", "starts_at", "ends_at")} | {
        "indicators": form.getlist("indicators")}
