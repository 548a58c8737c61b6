"""Logging in, staying logged in, and being kept out."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import ConfigError
from bot.console.auth import MAX_FAILED
from storage.models import AuditEntry, Officer

from .conftest import PASSWORD, csrf_of, login


def test_pages_need_a_login(app, officers):
    client = app.test_client()
    page = client.get("/admin/citizens")
    assert page.status_code == 302 and "/admin/login" in page.headers["Location"]
    assert client.get("/admin/reports/counts.xlsx").status_code == 401


def test_login_then_logout(app, officers):
    client = app.test_client()
    response = login(client, "xa")
    assert response.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert "Cán bộ xã An Bình" in page and "Xã An Bình" in page
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client.post("/admin/logout", data={"csrf_token": csrf_of(client, "/admin/")})
    assert client.get("/admin/").status_code == 302


def test_secure_cookie_when_served_over_https(make_app, officers):
    client = make_app(public_url="https://cdht.example.vn", secret_key="k" * 40).test_client()
    assert "Secure" in login(client, "xa").headers["Set-Cookie"]


def test_production_refuses_the_public_default_secret_key(make_app):
    with pytest.raises(ConfigError, match="CDHT_SECRET_KEY"):
        make_app(public_url="https://cdht.example.vn")


def test_a_wrong_password_and_an_unknown_user_read_the_same(app, officers):
    client = app.test_client()
    wrong = login(client, "xa", "sai-mat-khau-123").get_data(as_text=True)
    unknown = login(client, "khong-co-ai", "sai-mat-khau-123").get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu." in wrong and "Sai tên đăng nhập hoặc mật khẩu." in unknown


def test_lock_out_after_repeated_failures(app, runtime, officers):
    client = app.test_client()
    for _ in range(MAX_FAILED - 1):
        assert login(client, "xa", "sai-mat-khau-123").status_code == 401
    locked = login(client, "xa", "sai-mat-khau-123")
    assert "tạm khoá" in locked.get_data(as_text=True)
    # even the right password is refused while locked
    again = login(client, "xa")
    assert again.status_code == 401 and "tạm khoá" in again.get_data(as_text=True)
    with runtime.db.transaction() as session:
        officer = session.scalars(select(Officer).where(Officer.username == "xa")).one()
        assert session.scalars(select(AuditEntry.action)).all() == ["login.locked"]
        officer.locked_until -= timedelta(minutes=16)   # the lock-out has passed
    assert login(client, "xa").status_code == 302


def test_success_resets_the_failure_count(app, runtime, officers):
    client = app.test_client()
    for _ in range(MAX_FAILED - 1):
        login(client, "xa", "sai-mat-khau-123")
    assert login(client, "xa").status_code == 302
    for _ in range(MAX_FAILED - 1):
        login(app.test_client(), "xa", "sai-mat-khau-123")
    assert login(app.test_client(), "xa").status_code == 302


def test_every_form_needs_its_csrf_token(app, officers):
    client = app.test_client()
    response = client.post("/admin/login", data={"username": "xa", "password": PASSWORD})
    assert response.status_code == 400 and "hết hạn" in response.get_data(as_text=True)
    login(client, "xa")
    assert client.post("/admin/logout").status_code == 400
    assert client.post("/admin/logout", data={"csrf_token": "forged"}).status_code == 400


def test_changing_the_password_ends_other_sessions(app, runtime, client_as):
    client = client_as("xa")
    assert client.get("/admin/").status_code == 200
    with runtime.db.transaction() as session:
        officer = session.scalars(select(Officer).where(Officer.username == "xa")).one()
        from bot.console.auth import hash_password
        officer.password_hash = hash_password("mot-mat-khau-moi")
    assert client.get("/admin/").status_code == 302


def test_a_deactivated_account_is_out(app, runtime, client_as):
    client = client_as("xa")
    with runtime.db.transaction() as session:
        session.scalars(select(Officer).where(Officer.username == "xa")).one().active = False
    assert client.get("/admin/").status_code == 302
    assert login(app.test_client(), "xa").status_code == 401


def test_next_only_goes_to_a_console_page(app, officers):
    for target, expected in (("/admin/citizens", "/admin/citizens"),
                             ("https://evil.example/", "/admin/"),
                             ("//evil.example/admin/", "/admin/")):
        client = app.test_client()
        token = csrf_of(client)
        response = client.post(f"/admin/login?next={target}",
                               data={"username": "xa", "password": PASSWORD, "csrf_token": token})
        assert response.headers["Location"] == expected


def test_pages_forbid_framing_and_outside_sources(client_as):
    page = client_as("xa").get("/admin/")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"


def test_officers_create_from_the_command_line(app, runtime, tree):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["officers", "create", "canbo1", "--password", "du-muoi-ky-tu",
                                 "--unit", "9001"])
    assert result.exit_code == 0, result.output
    assert "officer of Xã An Bình" in result.output
    result = runner.invoke(args=["officers", "create", "root", "--password", "du-muoi-ky-tu",
                                 "--admin"])
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "canbo1", "du-muoi-ky-tu").status_code == 302
    refused = [["officers", "create", "x", "--password", "ngan"],
               ["officers", "create", "x", "--password", "du-muoi-ky-tu", "--unit", "nope"],
               ["officers", "create", "canbo1", "--password", "du-muoi-ky-tu", "--unit", "9001"],
               ["officers", "create", "x", "--password", "du-muoi-ky-tu", "--unit", "9001", "--admin"]]
    for args in refused:
        assert runner.invoke(args=args).exit_code != 0, args
    with runtime.db.read() as session:
        stored = session.scalars(select(Officer).where(Officer.username == "canbo1")).one()
        assert stored.password_hash.startswith("scrypt:")
        assert session.scalars(select(AuditEntry.target).where(AuditEntry.action == "officer.create")
                               ).all() == ["officer canbo1", "officer root"]
    listed = runner.invoke(args=["officers", "list"]).output
    assert "canbo1\tofficer\t9001\tactive" in listed and "root\tadmin\t-\tactive" in listed
