"""Adding units: a CSV or XLSX file (upload → preview → confirm), its template, and a
province's tree from the official divisions (admins).

Between the preview and the confirm the parsed rows travel in a signed hidden field
(itsdangerous, with the app's secret key, the officer's id and a time limit), not in a
file on the server: nothing to clean up, any worker process can take the confirm, and
a row cannot be changed in between without breaking the signature. The confirm plans
again on the tree as it is then and writes nothing if any row's fate differs from what
the officer saw."""

from dataclasses import astuple
from datetime import datetime, timezone

from flask import current_app, flash, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.units import upload
from bot.units.admin_import import find_province, import_province
from bot.units.reshape import ReshapeError
from bot.units.rules import KINDS, code_problem
from bot.units.upload_files import MAX_BYTES, ROWS_SHOWN, FileError, Row, read_rows, template_csv, \
    template_xlsx
from storage.models import Unit

from ..audit import record
from ..auth import admin_only, current_actor

TOKEN_AGE = 3600          # seconds a preview stays confirmable
FORM_LIMIT = 4 * MAX_BYTES   # the confirm form carries the rows back
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register(bp, runtime) -> None:
    @bp.before_app_request
    def _room_for_files():
        if request.endpoint == "admin.units_import":   # before the CSRF check reads the form
            request.max_content_length = FORM_LIMIT
            request.max_form_memory_size = FORM_LIMIT
            if request.method == "POST":
                request.form   # a 413 here, not taken for a bad CSRF token by auth's check

    @bp.errorhandler(413)
    def _too_large(_error):
        return render_template("admin/error.html", code=413, message=(
            f"Tệp quá lớn: tối đa {MAX_BYTES // (1024 * 1024)} MB và {ROWS_SHOWN} dòng; "
            "hãy chia thành nhiều tệp.")), 413

    @bp.route("/units/import", methods=["GET", "POST"])
    def units_import():
        if request.method == "GET":
            return _page()
        if "token" in request.form:
            return _confirm(runtime)
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            return _page(error="Hãy chọn tệp CSV hoặc XLSX.", status=400)
        try:
            rows = read_rows(upload_file.stream.read(MAX_BYTES + 1))
        except FileError as exc:
            return _page(error=str(exc), status=400)
        with runtime.db.read() as db_session:
            preview = upload.plan(rows, upload.existing_units(db_session), g.scope.path)
        return _preview(preview, rows, upload_file.filename)

    @bp.get("/units/template.csv")
    def units_template_csv():
        return template_csv(_example(runtime)), 200, {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": "attachment; filename=mau-don-vi.csv"}

    @bp.get("/units/template.xlsx")
    def units_template_xlsx():
        return template_xlsx(_example(runtime)), 200, {
            "Content-Type": XLSX, "Content-Disposition": "attachment; filename=mau-don-vi.xlsx"}

    @bp.post("/units/import-admin")
    @admin_only
    def units_import_admin():
        province = find_province(request.form.get("province", ""))
        if province is None:
            return render_template("admin/error.html", code=400,
                                   message="Hãy chọn một tỉnh, thành phố trong danh sách."), 400
        with runtime.db.transaction() as db_session:
            plan = import_province(db_session, province)
            record(db_session, current_actor(), "unit.import_admin", f"unit {plan.province}",
                   datetime.now(timezone.utc), province=province.name, **plan.counts())
        runtime.units_changed()
        counts = plan.counts()
        flash(f"Đã nhập {province.name}: {counts['created']} đơn vị mới, {counts['updated']} "
              f"cập nhật, {counts['unchanged']} giữ nguyên.", "ok")
        for conflict in plan.conflicts:
            flash(f"Chưa nhập được: {conflict}", "error")
        return redirect(url_for("admin.unit", code=plan.province))


def _page(error: str | None = None, status: int = 200):
    return render_template("admin/units_import.html", error=error, preview=None, kinds=KINDS,
                           max_rows=ROWS_SHOWN, max_mb=MAX_BYTES // (1024 * 1024)), status


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="units-import")


def _preview(preview, rows: list[Row], filename: str, status: int | None = None, note=None):
    token = None
    if preview.ok:
        token = _serializer().dumps({"officer": g.officer.id, "file": filename[:100],
                                     "rows": [list(astuple(r)) for r in rows],
                                     "seen": preview.summary()})
    return render_template("admin/units_import.html", preview=preview, token=token,
                           filename=filename, kinds=KINDS, note=note, error=None,
                           max_rows=ROWS_SHOWN, max_mb=MAX_BYTES // (1024 * 1024)), (
        status or (200 if preview.ok else 400))


def _confirm(runtime):
    try:
        data = _serializer().loads(request.form["token"], max_age=TOKEN_AGE)
        if data["officer"] != g.officer.id:
            raise BadSignature("another officer's preview")
        rows = [Row(*r) for r in data["rows"]]
    except (BadSignature, KeyError, TypeError, ValueError):
        return _page(error="Bản xem trước không hợp lệ hoặc đã quá một giờ; hãy tải tệp lên lại.",
                     status=400)
    filename = data.get("file", "")
    try:
        with runtime.db.transaction() as db_session:
            preview = upload.apply(db_session, rows, g.scope.path, data["seen"])
            counts = preview.counts()
            if preview.applied:
                record(db_session, current_actor(), "unit.import_file", f"file {filename}"[:200],
                       datetime.now(timezone.utc), new=counts["new"], updated=counts["update"],
                       unchanged=counts["unchanged"],
                       codes=[f.row.code for f in preview.fates if f.fate in ("new", "update")])
    except (ReshapeError, IntegrityError) as exc:
        message = str(exc) if isinstance(exc, ReshapeError) else \
            "Cây đơn vị vừa thay đổi trong lúc nhập; chưa có gì được ghi. Hãy tải tệp lên lại."
        return _page(error=message, status=409)
    if not preview.applied:
        return _preview(preview, rows, filename, 409, note=(
            "Cây đơn vị đã thay đổi từ lúc xem trước, chưa có gì được ghi. "
            "Hãy xem lại kết quả mới dưới đây rồi xác nhận lần nữa."))
    runtime.units_changed()
    flash(f"Đã nhập tệp {filename}: {counts['new']} đơn vị mới, {counts['update']} cập nhật, "
          f"{counts['unchanged']} giữ nguyên.", "ok")
    return redirect(url_for("admin.units"))


def _example(runtime) -> tuple[str, str, str, str]:
    """A row under the officer's own unit (an admin's: the first province)."""
    parent = g.officer.unit.code if g.officer.unit else None
    if parent is None:
        with runtime.db.read() as db_session:
            parent = db_session.scalar(select(Unit.code).where(Unit.parent_id.is_(None), Unit.active)
                                       .order_by(Unit.path).limit(1)) or "33"
    code = f"{parent}-9" if not code_problem(f"{parent}-9") else "CH-09"
    return code, "Chi hội Khuyến học thôn Đông", KINDS["branch"], parent
