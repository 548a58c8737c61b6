"""Every route of the console, requested by an officer of another unit: refused, and
nothing leaks or changes. A route added to the blueprint without a row here fails
`test_every_route_is_in_the_table`, so no page escapes this check."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.outreach.broadcasts import create
from storage.models import Assessment, AuditEntry, Broadcast, Campaign, Course, Outbox, Unit

from .conftest import PASS, add_citizen

OUTSIDER_NAME = "Người Ngoài Phạm Vi"   # a citizen of 9101, another province
COURSE_FORM = {"title": "Lớp mới", "place": "Nhà văn hoá", "starts_at": "2027-01-10T08:00",
               "ends_at": "2027-01-10T10:00", "indicators": "dien_thoai"}
# How an officer of 9001 (xa) or of its branch (chihoi) would try to reach what is not theirs:
# a unit, citizen or assessment of 9101 (another province), or their own parent 90.
# {citizen}, {assessment}: the outsider's ids.
OUTSIDE = {
    "admin.dashboard": [("GET", "/admin/?unit=9101"), ("GET", "/admin/?unit=90")],
    "admin.dashboard_json": [("GET", "/admin/dashboard.json?unit=9101"),
                             ("GET", "/admin/dashboard.json?unit=90")],
    "admin.reports": [("GET", "/admin/reports?unit=9101")],
    "admin.report_counts": [("GET", "/admin/reports/counts.xlsx?unit=9101"),
                            ("GET", "/admin/reports/counts.csv?unit=90")],
    "admin.report_recognised": [("GET", "/admin/reports/recognised.xlsx?unit=9101"),
                                ("GET", "/admin/reports/recognised.csv?unit=90")],
    "admin.units": [("GET", "/admin/units?q=Ngoai+Pham+Vi")],
    "admin.unit": [("GET", "/admin/units/9101"), ("GET", "/admin/units/90")],
    "admin.unit_move": [("POST", "/admin/units/9101/move", {"parent": "9001"}),
                        ("POST", "/admin/units/9001-1/move", {"parent": "9101"})],
    "admin.unit_merge": [("POST", "/admin/units/9101/merge", {"target": "9001"}),
                         ("POST", "/admin/units/9001-1/merge", {"target": "9101"})],
    "admin.poster": [("GET", "/admin/units/9101/poster")],
    "admin.poster_png": [("GET", "/admin/units/9101/poster.png")],
    "admin.poster_pdf": [("GET", "/admin/units/9101/poster.pdf")],
    "admin.citizens": [("GET", "/admin/citizens?unit=9101"),
                       ("GET", "/admin/citizens?q=Ngoai+Pham+Vi")],
    "admin.citizen": [("GET", "/admin/citizens/{citizen}")],
    "admin.recognition": [("GET", "/admin/recognition?unit=9101")],
    "admin.approve": [("POST", "/admin/assessments/{assessment}/approve", {})],
    "admin.return_assessment": [("POST", "/admin/assessments/{assessment}/return",
                                 {"reason": "Thiếu minh chứng"})],
    "admin.recognition_bulk": [("POST", "/admin/recognition/bulk",
                                {"action": "approve", "ids": "{assessment}"})],
    "admin.units_import": [("POST", "/admin/units/import", {"step": "confirm"})],
    "admin.broadcasts": [("GET", "/admin/broadcasts")],
    "admin.broadcast_new": [("GET", "/admin/broadcasts/new?course={course}"),
                            ("GET", "/admin/broadcasts/new?campaign={campaign}")],
    "admin.broadcast_preview": [("POST", "/admin/broadcasts/preview", {"unit": "9101", "text": "x"}),
                                ("POST", "/admin/broadcasts/preview", {"unit": "90", "text": "x"}),
                                ("POST", "/admin/broadcasts/preview",
                                 {"unit": "9001-1", "text": "x", "course": "{course}"}),
                                ("POST", "/admin/broadcasts/preview",
                                 {"unit": "9001-1", "text": "x", "campaign": "{campaign}"})],
    "admin.broadcast_test": [("POST", "/admin/broadcasts/test",
                              {"unit": "9101", "text": "x", "phone": "0912000111"})],
    "admin.broadcast_send": [("POST", "/admin/broadcasts", {"unit": "9101", "text": "x"}),
                             ("POST", "/admin/broadcasts",
                              {"unit": "9001-1", "text": "x", "course": "{course}"})],
    "admin.broadcast": [("GET", "/admin/broadcasts/{broadcast}")],
    "admin.broadcast_progress": [("GET", "/admin/broadcasts/{broadcast}/progress.json")],
    "admin.broadcast_cancel": [("POST", "/admin/broadcasts/{broadcast}/cancel", {})],
    "admin.campaigns": [("GET", "/admin/campaigns")],
    "admin.campaign_create": [("POST", "/admin/campaigns", {"name": "X", "unit": "9101",
                                                           "starts_on": "2026-10-01",
                                                           "ends_on": "2026-10-07"})],
    "admin.campaign": [("GET", "/admin/campaigns/{campaign}")],
    "admin.courses": [("GET", "/admin/courses")],
    "admin.course_create": [("POST", "/admin/courses", COURSE_FORM | {"unit": "9101"})],
    "admin.course": [("GET", "/admin/courses/{course}")],
    "admin.course_edit": [("GET", "/admin/courses/{course}/edit")],
    "admin.course_update": [("POST", "/admin/courses/{course}", COURSE_FORM | {"unit": "9001"})],
}
# requests that are answered, but only with what is inside the scope
NARROWED = [("GET", "/admin/units?q=Ngoai+Pham+Vi"), ("GET", "/admin/citizens?q=Ngoai+Pham+Vi"),
            ("GET", "/admin/broadcasts"), ("GET", "/admin/campaigns"), ("GET", "/admin/courses"),
            ("POST", "/admin/recognition/bulk", {"action": "approve", "ids": "{assessment}"})]
ADMIN_ONLY = {
    "admin.accounts": [("GET", "/admin/accounts")],
    "admin.account": [("GET", "/admin/accounts/khac")],
    "admin.audit": [("GET", "/admin/audit")],
    "admin.units_import_admin": [("POST", "/admin/units/import-admin", {"province": "33"})],
}
# routes that show no unit's data: the login, one's own password, static files, lists that
# are filtered to the scope (checked below), files with no data in them
NO_DATA = {"admin.login", "admin.logout", "admin.static", "admin.own_password",
           "admin.posters", "admin.units_template_csv", "admin.units_template_xlsx",
           # the composer and its counter echo what was typed; the course form is empty
           "admin.broadcast_count", "admin.broadcast_edit", "admin.course_new"}


def admin_endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")}


def test_every_route_is_in_the_table(app):
    listed = set(OUTSIDE) | set(ADMIN_ONLY) | NO_DATA
    assert admin_endpoints(app) - listed == set(), "routes with no permission row"
    assert listed - admin_endpoints(app) == set(), "rows for routes that do not exist"


@pytest.fixture
def outsider(runtime, officers):
    """A citizen of 9101 with an assessment, a broadcast and a course of 9101, a campaign of
    9100 (another province): every id an officer of 9001 might guess."""
    person = add_citizen(runtime, "9101", OUTSIDER_NAME, points=PASS, phone="+84911000999")
    now = datetime.now(timezone.utc)
    with runtime.db.transaction() as session:
        unit = session.scalars(select(Unit).where(Unit.code == "9101")).one()
        broadcast = create(session, "9101", "Tin của Xã Ngoài Phạm Vi", now, key="outside").broadcast
        course = Course(unit_id=unit.id, title="Lớp của Xã Ngoài Phạm Vi", place="Tỉnh Khác",
                        starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=2),
                        indicators=["dien_thoai"], created_at=now)
        campaign = Campaign(name="Tuần lễ của Tỉnh Khác", unit_id=unit.parent_id,
                            starts_on=now.date(), ends_on=now.date() + timedelta(days=6), created_at=now)
        session.add_all([course, campaign])
        session.flush()
        ids = {"broadcast": broadcast.id, "course": course.id, "campaign": campaign.id}
    return {"citizen": person.citizen_id, "assessment": person.assessment_id, **ids}


def requests_of(table):
    return [pytest.param(endpoint, request, id=f"{endpoint}:{request[1]}")
            for endpoint, requests in table.items() for request in requests]


def send(client, request, ids):
    method, path, *data = request
    path = path.format(**ids)
    if method == "GET":
        return client.get(path)
    form = {key: value.format(**ids) for key, value in (data[0] if data else {}).items()}
    return client.post_form(path, form)


def unchanged(runtime, outsider):
    with runtime.db.read() as session:
        assessment = session.get(Assessment, outsider["assessment"])
        units = dict(session.execute(select(Unit.code, Unit.path)).all())
        return (assessment.decision, units["9101"], units["9001-1"], units.get("9001"),
                session.scalar(select(Unit.active).where(Unit.code == "9101")),
                session.scalars(select(Outbox.id, Outbox.status)).all(),
                session.execute(select(Broadcast.id, Broadcast.state)).all(),
                session.execute(select(Course.id, Course.title, Course.unit_id)).all(),
                session.scalars(select(Campaign.id)).all(),
                session.scalars(select(AuditEntry.action)).all())


@pytest.mark.parametrize("who", ["xa", "chihoi"])
@pytest.mark.parametrize("endpoint, request_", requests_of(OUTSIDE))
def test_an_officer_of_another_unit_is_refused(runtime, client_as, outsider, who, endpoint, request_):
    client = client_as(who)
    before = unchanged(runtime, outsider)
    response = send(client, request_, outsider)
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) \
        else response.get_data().decode("latin-1")
    if request_ in NARROWED:
        # a search or a bulk action is narrowed to the scope: it answers, without the outsider
        assert response.status_code in (200, 303), response.status_code
    else:
        assert response.status_code in (400, 403, 404), (response.status_code, body[:300])
    for secret in (OUTSIDER_NAME, "Xã Ngoài Phạm Vi", "Tỉnh Khác", "911000999"):
        assert secret not in body
    assert unchanged(runtime, outsider) == before


@pytest.mark.parametrize("endpoint, request_", requests_of(ADMIN_ONLY))
def test_admin_pages_refuse_officers(runtime, client_as, outsider, endpoint, request_):
    before = unchanged(runtime, outsider)
    assert send(client_as("tinh"), request_, outsider).status_code == 403
    assert unchanged(runtime, outsider) == before


@pytest.mark.parametrize("endpoint, request_", requests_of({**OUTSIDE, **ADMIN_ONLY}))
def test_nothing_without_a_login(app, outsider, endpoint, request_):
    client = app.test_client()
    client.post_form = lambda path, data: client.post(path, data=data)
    response = send(client, request_, outsider)
    # a form without a session has no valid CSRF token either: 400 before anything else
    assert response.status_code in (302, 400, 401)
    assert OUTSIDER_NAME.encode() not in response.get_data()


def test_the_outsiders_own_officer_does_see_them(client_as, outsider):
    client = client_as("khac")
    assert client.get(f"/admin/citizens/{outsider['citizen']}").status_code == 200
    assert OUTSIDER_NAME in client.get("/admin/citizens").get_data(as_text=True)
    assert OUTSIDER_NAME not in client_as("xa").get("/admin/citizens").get_data(as_text=True)
