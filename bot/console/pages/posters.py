"""Posters: each joinable unit's A4 poster (a preview page, the PNG, the PDF) and the list
of units in the officer's scope that have one. The poster itself is bot/posters/."""

from flask import Response, g, render_template, request, url_for
from sqlalchemy import func, or_, select

from storage.models import Unit

from ...posters import KEYWORD, compose, missing_settings, pdf, png, refusal

PAGE = 50
CACHE = "private, max-age=300"     # the same poster for five minutes; never on a shared cache
KINDS = {"province": "Tỉnh", "city": "Thành phố", "commune": "Xã", "ward": "Phường",
         "special_zone": "Đặc khu", "branch": "Chi hội"}
FORMATS = {"png": ("image/png", png.render), "pdf": ("application/pdf", pdf.render)}


def register(bp, runtime) -> None:
    settings = runtime.settings

    def _unit(session, code):
        """The unit (404 outside the scope), why it has no poster (or None), and the unit
        it was merged into when the officer may see that one."""
        unit = g.scope.unit_or_404(session, code)
        merged = session.get(Unit, unit.merged_into_id) if unit.merged_into_id else None
        why = refusal(unit.name, unit.kind, unit.joinable, unit.active,
                      merged.name if merged else None)
        return unit, why, (merged if merged is not None and g.scope.covers(merged) else None)

    def _poster(unit):
        parent = unit.parent.name if unit.parent else None
        return compose(unit.code, unit.name, parent, settings.oa_link, settings.sms_number)

    @bp.get("/units/<code>/poster")
    def poster(code):
        with runtime.db.read() as session:
            unit, why, merged = _unit(session, code)
            parent = unit.parent.name if unit.parent else None
        return render_template("admin/poster.html", unit=unit, parent=parent, why=why,
                               merged=merged, message=f"{KEYWORD} {unit.code}",
                               notes=missing_settings(settings.oa_link, settings.sms_number))

    def _file(code, kind):
        with runtime.db.read() as session:
            unit, why, _ = _unit(session, code)
            if why:
                return render_template("admin/error.html", code=400, message=why), 400
            poster = _poster(unit)
        mimetype, render = FORMATS[kind]
        response = Response(render(poster), mimetype=mimetype)
        response.headers["Cache-Control"] = CACHE
        disposition = "attachment" if request.args.get("download") else "inline"
        response.headers.set("Content-Disposition", disposition,
                             filename=f"ap-phich-{unit.code}.{kind}")
        return response

    @bp.get("/units/<code>/poster.png")
    def poster_png(code):
        return _file(code, "png")

    @bp.get("/units/<code>/poster.pdf")
    def poster_pdf(code):
        return _file(code, "pdf")

    @bp.get("/posters")
    def posters():
        """The units of the scope a poster can be made for, in tree order, with a search by
        code or name."""
        q = " ".join(request.args.get("q", "").split())[:100]
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        query = g.scope.units(select(Unit).where(Unit.active.is_(True), Unit.joinable.is_(True)))
        if q:
            query = query.where(or_(Unit.code.istartswith(q, autoescape=True),
                                    Unit.name.icontains(q, autoescape=True)))
        with runtime.db.read() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            units = session.scalars(query.order_by(Unit.path).limit(PAGE)
                                    .offset((page - 1) * PAGE)).all()
        pages = max(1, -(-total // PAGE))
        return render_template("admin/posters.html", units=units, kinds=KINDS, q=q, page=page,
                               pages=pages, total=total,
                               notes=missing_settings(settings.oa_link, settings.sms_number),
                               link=lambda **args: url_for("admin.posters", q=q or None, **args))
