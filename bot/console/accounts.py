"""Creating and changing console accounts (the admin's accounts page and the officer's
own password). Plain functions of a session: each returns what went wrong, in words an
officer reads, or records the change in the audit log."""

import re
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash

from storage.models import Officer, Unit

from .audit import record
from .auth import check_password_rules, hash_password

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
ROLES = {"officer": "Cán bộ đơn vị", "admin": "Quản trị hệ thống"}


class AccountError(ValueError):
    """The change is refused; str() says why, in Vietnamese."""


def _unit(session, code: str) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.code == code.strip(), Unit.active)).first()
    if unit is None:
        raise AccountError(f"Không có đơn vị mã “{code.strip()}”.")
    return unit


def create(session, actor: str, form: dict, now: datetime) -> Officer:
    username = form.get("username", "").strip().lower()
    if not USERNAME.match(username):
        raise AccountError("Tên đăng nhập: 3–64 ký tự, chữ thường không dấu, số, dấu chấm, gạch.")
    if session.scalars(select(Officer).where(Officer.username == username)).first():
        raise AccountError(f"Đã có tài khoản “{username}”.")
    role = form.get("role", "officer")
    if role not in ROLES:
        raise AccountError("Vai trò không hợp lệ.")
    if (reason := check_password_rules(form.get("password", ""))) is not None:
        raise AccountError(reason)
    unit = _unit(session, form.get("unit", "")) if role == "officer" else None
    name = form.get("name", "").strip() or username
    officer = Officer(username=username, password_hash=hash_password(form["password"]),
                      name=name[:100], unit_id=unit.id if unit else None, role=role, created_at=now)
    session.add(officer)
    record(session, actor, "officer.create", f"officer {username}", now, role=role,
           unit=unit.code if unit else None)
    return officer


def update(session, actor: str, officer: Officer, form: dict, now: datetime) -> list[str]:
    """Name, role, unit, active, a new password, unlock; returns what changed."""
    changes = {}
    role = form.get("role", officer.role)
    if role not in ROLES:
        raise AccountError("Vai trò không hợp lệ.")
    active = form.get("active") == "on"
    if officer.username == actor and (role != "admin" or not active):
        raise AccountError("Không thể tự bỏ quyền quản trị hay tự khoá tài khoản của mình.")
    unit = _unit(session, form.get("unit", "")) if role == "officer" else None
    name = form.get("name", "").strip()[:100] or officer.name
    for field, value in (("name", name), ("role", role), ("unit_id", unit.id if unit else None),
                         ("active", active)):
        if getattr(officer, field) != value:
            changes[field] = value if field != "unit_id" else (unit.code if unit else None)
            setattr(officer, field, value)
    if password := form.get("password", ""):
        if (reason := check_password_rules(password)) is not None:
            raise AccountError(reason)
        officer.password_hash = hash_password(password)
        record(session, actor, "officer.password", f"officer {officer.username}", now)
    if form.get("unlock") == "on" and (officer.locked_until or officer.failed_logins):
        officer.locked_until, officer.failed_logins = None, 0
        record(session, actor, "officer.unlock", f"officer {officer.username}", now)
    if changes:
        record(session, actor, "officer.update", f"officer {officer.username}", now, **changes)
    return sorted(changes)


def change_own_password(session, officer: Officer, current: str, new: str, repeat: str,
                        now: datetime) -> None:
    if not check_password_hash(officer.password_hash, current):
        raise AccountError("Mật khẩu hiện tại không đúng.")
    if new != repeat:
        raise AccountError("Hai lần nhập mật khẩu mới không giống nhau.")
    if (reason := check_password_rules(new)) is not None:
        raise AccountError(reason)
    officer.password_hash = hash_password(new)
    record(session, officer.username, "officer.password", f"officer {officer.username}", now)
