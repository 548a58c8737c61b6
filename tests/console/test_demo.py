"""`make run`'s demo: the login it prints opens the console, and its citizens cover every stage."""

import re

from sqlalchemy import func, select

from storage.standing import status_of
from storage.models import Assessment, Citizen

from .conftest import csrf_of


def test_seed_demo_with_citizens_prints_a_console_login_that_works(make_app):
    app = make_app(demo_password="demo-password-1")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--citizens", "120"])
    assert first.exit_code == 0, first.output
    assert "demo citizens: 120 added" in first.output
    again = runner.invoke(args=["seed-demo", "--citizens", "120"])
    assert "demo citizens: already there" in again.output
    username, password = re.search(r"demo officer login: (\S+) / (\S+)", first.output).groups()
    client = app.test_client()
    response = client.post("/admin/login", data={"username": username, "password": password,
                                                 "csrf_token": csrf_of(client)})
    assert response.status_code == 302
    runtime = app.extensions["cdht"]
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Citizen)) == 120
        stages = {status_of(a) for a in session.scalars(select(Assessment))}
        no_assessment = session.scalar(select(func.count()).select_from(Citizen).where(
            ~Citizen.id.in_(select(Assessment.citizen_id))))
    assert {"in_progress", "not_passed", "awaiting", "recognised"} <= stages
    assert no_assessment > 0
