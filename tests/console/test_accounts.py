"""Accounts (admins only), an officer's own password, and the audit log."""

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Officer

from .conftest import PASSWORD, login


def officer(runtime, username):
    with runtime.db.read() as session:
        found = session.scalars(select(Officer).where(Officer.username == username)).first()
        if found:
            found.unit
        return found


def actions(runtime):
    with runtime.db.read() as session:
        return session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)
                               .order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("path", ["/admin/accounts", "/admin/accounts/xa", "/admin/audit"])
@pytest.mark.parametrize("who", ["tinh", "xa"])
def test_accounts_and_audit_are_for_admins_only(client_as, path, who):
    client = client_as(who)
    assert client.get(path).status_code == 403
    if "accounts" in path:
        assert client.post_form(path, {"name": "x"}).status_code == 403


def test_admin_creates_an_officer_who_can_log_in(app, runtime, client_as):
    admin = client_as("quantri")
    response = admin.post_form("/admin/accounts", {"username": "canbo.moi", "name": "Lê Thị Hoa",
                                                   "role": "officer", "unit": "9002",
                                                   "password": "mat-khau-dai-du"})
    assert response.status_code == 302
    created = officer(runtime, "canbo.moi")
    assert (created.name, created.role, created.unit.code) == ("Lê Thị Hoa", "officer", "9002")
    assert login(app.test_client(), "canbo.moi", "mat-khau-dai-du").status_code == 302
    assert ("quantri", "officer.create", "officer canbo.moi") in actions(runtime)
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert "canbo.moi" in listing and "Xã Bình Minh" in listing


@pytest.mark.parametrize("form, message", [
    ({"username": "A B", "role": "officer", "unit": "9002", "password": "mat-khau-dai-du"}, "Tên đăng nhập"),
    ({"username": "tinh", "role": "officer", "unit": "9002", "password": "mat-khau-dai-du"}, "Đã có tài khoản"),
    ({"username": "moi", "role": "officer", "unit": "khong-co", "password": "mat-khau-dai-du"}, "Không có đơn vị"),
    ({"username": "moi", "role": "officer", "unit": "9002", "password": "ngan"}, "ít nhất 10"),
    ({"username": "moi", "role": "vua", "unit": "9002", "password": "mat-khau-dai-du"}, "Vai trò"),
], ids=["bad-username", "taken", "no-unit", "short-password", "bad-role"])
def test_a_refused_account_says_why(runtime, client_as, form, message):
    response = client_as("quantri").post_form("/admin/accounts", form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert officer(runtime, "moi") is None


def test_admin_edits_unlocks_and_deactivates(app, runtime, client_as):
    for _ in range(5):
        login(app.test_client(), "xa", "sai-mat-khau-123")
    assert officer(runtime, "xa").locked_until is not None
    admin = client_as("quantri")
    assert "Mở khoá" in admin.get("/admin/accounts/xa").get_data(as_text=True)
    admin.post_form("/admin/accounts/xa", {"name": "Cán bộ mới", "role": "officer", "unit": "9002",
                                           "active": "on", "unlock": "on"})
    edited = officer(runtime, "xa")
    assert (edited.name, edited.unit.code, edited.locked_until) == ("Cán bộ mới", "9002", None)
    assert login(app.test_client(), "xa").status_code == 302
    admin.post_form("/admin/accounts/xa", {"name": "Cán bộ mới", "role": "officer", "unit": "9002"})
    assert officer(runtime, "xa").active is False
    assert login(app.test_client(), "xa").status_code == 401
    done = [a for _, a, t in actions(runtime) if t == "officer xa"]
    assert done == ["login.locked", "officer.unlock", "officer.update", "officer.update"]


def test_an_admin_cannot_lock_themselves_out(runtime, client_as):
    response = client_as("quantri").post_form("/admin/accounts/quantri", {"role": "officer", "unit": "90",
                                                                          "active": "on"})
    assert response.status_code == 400
    assert officer(runtime, "quantri").role == "admin"


def test_an_officer_changes_their_own_password(app, runtime, client_as):
    client = client_as("xa")
    bad = client.post_form("/admin/password", {"current": "sai", "new": "mat-khau-moi-1", "repeat": "mat-khau-moi-1"})
    assert bad.status_code == 400 and "không đúng" in bad.get_data(as_text=True)
    mismatch = client.post_form("/admin/password", {"current": PASSWORD, "new": "mat-khau-moi-1",
                                                    "repeat": "mat-khau-moi-2"})
    assert mismatch.status_code == 400
    other = client_as("xa")   # a second session of the same officer
    done = client.post_form("/admin/password", {"current": PASSWORD, "new": "mat-khau-moi-1",
                                                "repeat": "mat-khau-moi-1"})
    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200        # this session goes on
    assert other.get("/admin/").status_code == 302         # the other one ended
    assert login(app.test_client(), "xa", "mat-khau-moi-1").status_code == 302
    assert ("xa", "officer.password", "officer xa") in actions(runtime)


def test_the_audit_log_lists_and_filters(runtime, client_as):
    admin = client_as("quantri")
    admin.post_form("/admin/accounts", {"username": "mot", "role": "admin", "password": "mat-khau-dai-du"})
    admin.post_form("/admin/accounts/xa", {"name": "Tên mới", "role": "officer", "unit": "9001", "active": "on"})
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Tạo tài khoản" in page and "Sửa tài khoản" in page and "officer mot" in page
    only = admin.get("/admin/audit?action=officer.update").get_data(as_text=True)
    assert "Sửa tài khoản" in only and "officer mot" not in only
    assert "Chưa có thay đổi nào" in admin.get("/admin/audit?actor=nobody").get_data(as_text=True)


def test_the_audit_log_pages_through_with_its_filters(runtime, client_as):
    import re
    from bot.console.audit import record
    from .conftest import NOW
    with runtime.db.transaction() as session:
        for n in range(130):
            record(session, "cli", "unit.move", f"unit {n}", NOW)
    admin = client_as("quantri")
    first = admin.get("/admin/audit?action=unit.move").get_data(as_text=True)
    assert "Trang 1/2" in first and "Trang trước" not in first
    following = re.search(r'href="([^"]+)">Trang sau', first).group(1).replace("&amp;", "&")
    assert "action=unit.move" in following and "page=2" in following
    second = admin.get(following).get_data(as_text=True)
    assert "Trang 2/2" in second and "Trang sau" not in second and "unit 0<" in second
