"""Accounts: the admin's list, create and edit pages; every officer's own password."""

from datetime import datetime, timezone

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from storage.models import Officer

from ..accounts import ROLES, AccountError, change_own_password, create, update
from ..auth import admin_only, stamp


def register(bp, runtime) -> None:
    def _officers(db_session):
        return db_session.scalars(select(Officer).order_by(Officer.role, Officer.username)).all()

    @bp.route("/accounts", methods=["GET", "POST"])
    @admin_only
    def accounts():
        error, form = None, {}
        if request.method == "POST":
            form = request.form.to_dict()
            try:
                with runtime.db.transaction() as db_session:
                    officer = create(db_session, g.officer.username, form, datetime.now(timezone.utc))
                flash(f"Đã tạo tài khoản {officer.username}.", "ok")
                return redirect(url_for("admin.accounts"))
            except AccountError as exc:
                error = str(exc)
        with runtime.db.read() as db_session:
            officers = _officers(db_session)
            for officer in officers:
                officer.unit
        form.pop("password", None)
        return render_template("admin/accounts.html", officers=officers, roles=ROLES, error=error,
                               form=form, now=datetime.now(timezone.utc)), (400 if error else 200)

    @bp.route("/accounts/<username>", methods=["GET", "POST"])
    @admin_only
    def account(username):
        error = None
        if request.method == "POST":
            try:
                with runtime.db.transaction() as db_session:
                    officer = _one(db_session, username)
                    changed = update(db_session, g.officer.username, officer, request.form.to_dict(),
                                     datetime.now(timezone.utc))
                flash("Đã lưu." if changed or request.form.get("password") or request.form.get("unlock")
                      else "Không có gì thay đổi.", "ok")
                return redirect(url_for("admin.account", username=username))
            except AccountError as exc:
                error = str(exc)
        with runtime.db.read() as db_session:
            officer = _one(db_session, username)
            officer.unit
        return render_template("admin/account.html", account=officer, roles=ROLES, error=error,
                               now=datetime.now(timezone.utc)), (400 if error else 200)

    @bp.route("/password", methods=["GET", "POST"])
    def own_password():
        error = None
        if request.method == "POST":
            try:
                with runtime.db.transaction() as db_session:
                    officer = db_session.get(Officer, g.officer.id)
                    change_own_password(db_session, officer, request.form.get("current", ""),
                                        request.form.get("new", ""), request.form.get("repeat", ""),
                                        datetime.now(timezone.utc))
                session["stamp"] = stamp(officer)   # this session goes on; others end
                flash("Đã đổi mật khẩu.", "ok")
                return redirect(url_for("admin.dashboard"))
            except AccountError as exc:
                error = str(exc)
        return render_template("admin/password.html", error=error), (400 if error else 200)


def _one(db_session, username: str) -> Officer:
    officer = db_session.scalars(select(Officer).where(Officer.username == username)).first()
    if officer is None:
        abort(404)
    return officer
