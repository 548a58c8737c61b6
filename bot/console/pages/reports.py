"""Reports (GET /admin/reports) and their files: counts.xlsx / counts.csv (per unit and per
target group) and recognised.xlsx / recognised.csv (the recognised citizens), each for
?unit=CODE&period=YYYY within the officer's subtree. bot/console/reports.py builds them."""

from datetime import datetime, timezone

from flask import Response, g, render_template

from .. import reports
from ..figures import BadChoice, figures_of, group_names, periods, trail
from .dashboard import bad_request, selection


def _heading(choice, now: datetime, counted_at: datetime | None = None) -> reports.Heading:
    unit = choice.unit
    return reports.Heading(period=choice.period, unit_name=unit.name if unit else None,
                           unit_code=unit.code if unit else None, made_at=now,
                           made_by=g.officer.name, counted_at=counted_at)


def _file(data: bytes, kind: str, heading: reports.Heading, extension: str) -> Response:
    name = reports.file_name(kind, heading, extension)
    mimetype = reports.XLSX_TYPE if extension == "xlsx" else reports.CSV_TYPE
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def register(bp, runtime) -> None:
    @bp.get("/reports", endpoint="reports")
    def reports_page():
        now = datetime.now(timezone.utc)
        with runtime.db.read() as session:
            try:
                choice = selection(session, now)
            except BadChoice as exc:
                return bad_request(str(exc))
            figures = figures_of(session, g.scope, choice, runtime, now)
            crumbs = trail(session, g.scope, choice.unit)
        return render_template("admin/reports.html", title="Báo cáo", figures=figures,
                               choice=choice, crumbs=crumbs, periods=periods(now),
                               everything=g.scope.everything)

    @bp.get("/reports/counts.<any(xlsx, csv):extension>")
    def report_counts(extension):
        now = datetime.now(timezone.utc)
        with runtime.db.read() as session:
            try:
                choice = selection(session, now)
            except BadChoice as exc:
                return bad_request(str(exc))
            figures = figures_of(session, g.scope, choice, runtime, now)
        heading = _heading(choice, now, figures.as_of)
        build = reports.counts_xlsx if extension == "xlsx" else reports.counts_csv
        return _file(build(figures, heading), "bao-cao", heading, extension)

    @bp.get("/reports/recognised.<any(xlsx, csv):extension>")
    def report_recognised(extension):
        now = datetime.now(timezone.utc)
        groups = group_names(runtime.criteria_sets, runtime.criteria)
        with runtime.db.read() as session:
            try:
                choice = selection(session, now)
            except BadChoice as exc:
                return bad_request(str(exc))
            heading = _heading(choice, now)
            rows = reports.recognised_rows(session, g.scope, choice.unit, choice.period, groups)
            build = reports.recognised_xlsx if extension == "xlsx" else reports.recognised_csv
            data = build(rows, heading)
        return _file(data, "danh-sach-cong-nhan", heading, extension)
