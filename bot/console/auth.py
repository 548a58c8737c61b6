"""Logging in and staying logged in: werkzeug scrypt hashes, a signed session cookie
(HttpOnly, SameSite=Lax, Secure when the console is served over https), a CSRF token on
every form (Flask-WTF), and a lock-out after repeated failed logins.

A session holds the officer's id and a fragment of their password hash: changing the
password or deactivating the account ends every other session at the next request."""

from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import ValidationError

from storage.models import Officer

from .audit import record
from .scope import Scope

MAX_FAILED = 5                       # failed logins in a row before the lock-out
LOCK_FOR = timedelta(minutes=15)
SESSION_HOURS = 8                    # a working day; then log in again
PUBLIC = {"admin.login", "admin.static"}
# scrypt, werkzeug's default; a fixed hash checked for unknown usernames keeps their
# timing the same as a wrong password's
PASSWORD_METHOD = "scrypt"
_DUMMY = generate_password_hash("not-a-password", method=PASSWORD_METHOD)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def check_password_rules(password: str) -> str | None:
    """Why the password is refused, or None."""
    if len(password) < 10:
        return "Mật khẩu cần ít nhất 10 ký tự."
    return None


def stamp(officer: Officer) -> str:
    return officer.password_hash[-12:]


def authenticate(db_session, username: str, password: str, now: datetime) -> tuple[Officer | None, str]:
    """(officer, "") on success, else (None, the reason to show). Counts failures and
    locks the account after MAX_FAILED; the caller's transaction records it."""
    officer = db_session.scalars(select(Officer).where(Officer.username == username.strip())).first()
    if officer is None or not officer.active:
        check_password_hash(_DUMMY, password)
        return None, "Sai tên đăng nhập hoặc mật khẩu."
    if officer.locked_until and officer.locked_until > now:
        minutes = max(1, int((officer.locked_until - now).total_seconds() // 60) + 1)
        return None, f"Tài khoản tạm khoá do đăng nhập sai nhiều lần. Thử lại sau {minutes} phút."
    if not check_password_hash(officer.password_hash, password):
        officer.failed_logins += 1
        if officer.failed_logins >= MAX_FAILED:
            officer.locked_until, officer.failed_logins = now + LOCK_FOR, 0
            record(db_session, officer.username, "login.locked", f"officer {officer.username}", now,
                   ip=request.remote_addr if request else None)
            return None, ("Tài khoản tạm khoá 15 phút do đăng nhập sai "
                          f"{MAX_FAILED} lần liên tiếp.")
        return None, "Sai tên đăng nhập hoặc mật khẩu."
    officer.failed_logins, officer.locked_until, officer.last_login_at = 0, None, now
    return officer, ""


def admin_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.officer.role != "admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def install(bp, runtime) -> None:
    app_settings = runtime.settings

    @bp.record_once
    def _configure(state):
        app = state.app
        app.config["SESSION_COOKIE_HTTPONLY"] = True
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
        app.config["SESSION_COOKIE_SECURE"] = app_settings.public_url.startswith("https://")
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=SESSION_HOURS)
        app.config.setdefault("WTF_CSRF_TIME_LIMIT", SESSION_HOURS * 3600)
        app.jinja_env.globals["csrf_token"] = generate_csrf

    @bp.before_request
    def _load_officer():
        g.runtime = runtime
        g.officer = None
        if _has_nul(request.args) or (request.method == "POST" and _has_nul(request.form)):
            # no text column takes a NUL (PostgreSQL refuses it outright): not a typing slip
            abort(400)
        officer_id = session.get("officer")
        if officer_id is not None:
            with runtime.db.read() as db_session:
                officer = db_session.get(Officer, officer_id)
                if officer is not None and officer.active and session.get("stamp") == stamp(officer):
                    officer.unit   # loaded now, used after the session closes
                    g.officer, g.scope = officer, Scope.of(officer)
                else:
                    session.clear()
        if request.method == "POST":
            try:
                validate_csrf(request.form.get("csrf_token") or request.headers.get("X-CSRFToken"))
            except ValidationError as exc:   # missing, expired or forged
                raise CSRFError(str(exc)) from None
        if g.officer is None and request.endpoint not in PUBLIC:
            if request.path.endswith((".json", ".csv", ".xlsx", ".png", ".pdf")):
                abort(401)
            return redirect(url_for("admin.login", next=request.full_path))

    @bp.after_request
    def _headers(response):
        # no outside script or style (no CDN), no framing, nothing sniffed; pages with data
        # are not cached. Images may come over https: evidence photos stay on Zalo's CDN.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "admin.static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @bp.errorhandler(CSRFError)
    def _csrf(error):
        return render_template("admin/error.html", code=400,
                               message="Biểu mẫu đã hết hạn hoặc không hợp lệ. "
                                       "Hãy tải lại trang rồi làm lại."), 400

    for code, message in ((401, "Cần đăng nhập."), (403, "Trang này chỉ dành cho quản trị hệ thống."),
                          (404, "Không có trang này, hoặc nó nằm ngoài đơn vị của bạn.")):
        bp.register_error_handler(code, _error_page(code, message))

    @bp.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            now = datetime.now(timezone.utc)
            with runtime.db.transaction() as db_session:
                officer, error = authenticate(db_session, request.form.get("username", ""),
                                              request.form.get("password", ""), now)
                if officer is not None:
                    session.clear()
                    session.permanent = True
                    session["officer"], session["stamp"] = officer.id, stamp(officer)
            if officer is not None:
                return redirect(_safe_next(request.args.get("next")))
        return render_template("admin/login.html", error=error), (401 if error else 200)

    @bp.post("/logout")
    def logout():
        session.clear()
        flash("Đã đăng xuất.")
        return redirect(url_for("admin.login"))


def _has_nul(values) -> bool:
    return any("\x00" in value for _, value in values.items(multi=True))


def _error_page(code: int, message: str):
    def handler(_error):
        if request.path.endswith(".json"):
            return {"error": message}, code
        return render_template("admin/error.html", code=code, message=message), code
    return handler


def _safe_next(target: str | None) -> str:
    """Only a path of this console: never an open redirect to another site."""
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.dashboard")


def current_actor() -> str:
    return g.officer.username if getattr(g, "officer", None) else "cli"
