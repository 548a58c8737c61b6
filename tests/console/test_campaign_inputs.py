"""Bad input to the campaign pages gets a clear answer, never a 500: every form of the
composer, the campaigns and the courses fed odd values an officer's browser (or someone
guessing) might send."""

import pytest

from .conftest import add_citizen

LONG = "x" * 5000
ODD = ["", " ", "0", "-1", "99999999999999999999", "abc", "2026-02-30", "9999-12-31T23:59",
       "0001-01-01T00:00", "2026-10-01T25:00", "\u0000", "{", "}", "{xung_ho", "{{xung_ho}}", LONG,
       "Có dấu 🙂", "<script>alert(1)</script>"]
FIELDS = {
    "/admin/broadcasts/preview": ("unit", "text", "sms_text", "group", "status", "channel",
                                  "campaign", "course", "weak_only", "send_at"),
    "/admin/broadcasts": ("unit", "text", "sms_text", "status", "send_at", "key", "course"),
    "/admin/broadcasts/test": ("text", "phone", "send_at"),
    "/admin/broadcasts/count": ("text", "sms_text"),
    "/admin/broadcasts/edit": ("text", "unit", "course"),
    "/admin/campaigns": ("name", "unit", "starts_on", "ends_on"),
    "/admin/courses": ("title", "place", "unit", "starts_at", "ends_at", "indicators"),
}
GOOD = {
    "/admin/broadcasts/preview": {"unit": "9001", "text": "Mời họp", "status": "all"},
    "/admin/broadcasts": {"unit": "9001", "text": "Mời họp", "status": "all"},
    "/admin/broadcasts/test": {"unit": "9001", "text": "Mời họp", "status": "all", "phone": "0912000111"},
    "/admin/broadcasts/count": {"text": "Mời họp"},
    "/admin/broadcasts/edit": {"unit": "9001", "text": "Mời họp"},
    "/admin/campaigns": {"name": "Tuần lễ", "unit": "9001", "starts_on": "2026-10-01", "ends_on": "2026-10-07"},
    "/admin/courses": {"title": "Lớp", "place": "Nhà văn hoá", "unit": "9001", "starts_at": "2027-01-10T08:00",
                       "ends_at": "2027-01-10T10:00", "indicators": "dien_thoai"},
}


@pytest.mark.parametrize("path", sorted(FIELDS))
def test_odd_values_are_answered_not_crashed(make_app, client_as, officers, runtime, path):
    add_citizen(runtime, "9001", "Người Nhận", phone="+84912555000")
    client = client_as("xa")
    for field in FIELDS[path]:
        for value in ODD:
            response = client.post_form(path, {**GOOD[path], field: value, "key": ""})
            assert response.status_code in (200, 303, 400, 404, 413), (path, field, value[:20],
                                                                      response.status_code)


@pytest.mark.parametrize("path", ["/admin/broadcasts/{x}", "/admin/broadcasts/{x}/progress.json",
                                  "/admin/campaigns/{x}", "/admin/courses/{x}", "/admin/courses/{x}/edit",
                                  "/admin/broadcasts/new?course={x}", "/admin/broadcasts/new?campaign={x}"])
@pytest.mark.parametrize("x", ["0", "-1", "99999999999999999999", "abc", "1.5"])
def test_odd_ids_in_urls_are_not_found(client_as, officers, path, x):
    assert client_as("xa").get(path.format(x=x)).status_code == 404


@pytest.mark.parametrize("request_", [("GET", "/admin/citizens/99999999999999999999"),
                                      ("POST", "/admin/assessments/99999999999999999999/approve"),
                                      ("POST", "/admin/assessments/99999999999999999999/return"),
                                      ("POST", "/admin/recognition/bulk")])
def test_ids_too_big_for_a_column_are_not_found(client_as, officers, request_):
    method, path = request_
    client = client_as("xa")
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post_form(path, {"action": "approve", "reason": "x",
                                           "ids": "99999999999999999999"})
    assert response.status_code in (400, 404), response.status_code


@pytest.mark.parametrize("request_", [("GET", "/admin/citizens?q=a%00b"), ("GET", "/admin/units?q=%00"),
                                      ("GET", "/admin/?unit=%00"), ("POST", "/admin/broadcasts/preview"),
                                      ("POST", "/admin/campaigns")])
def test_a_nul_anywhere_is_a_bad_request(client_as, officers, request_):
    method, path = request_
    client = client_as("xa")
    response = client.get(path) if method == "GET" else client.post_form(path, {"unit": "\x00", "name": "x"})
    assert response.status_code == 400
