"""Campaigns: created within the scope, the period's figures beside the year's (counted
by when each thing happened), shown on the dashboard while it runs, and its broadcasts
listed under it."""

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from messages_vi.render import TIMEZONE
from storage.models import Assessment, Campaign, Unit

from .conftest import FAIL_TOTAL, PASS, add_citizen


def vn(y, m, d, h=9):
    return datetime(y, m, d, h, tzinfo=TIMEZONE)


def this_year(day: date) -> date:
    """`day`, or 1 January if it falls in last year: the dashboard shows a campaign that
    began in its own year (bot/console/campaigns.current)."""
    return max(day, date(datetime.now(TIMEZONE).year, 1, 1))


def make_campaign(runtime, starts: date, ends: date, unit="9001", name="Tuần lễ học tập suốt đời 2026"):
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
        campaign = Campaign(name=name, unit_id=unit_id, starts_on=starts, ends_on=ends,
                            created_at=datetime.now(timezone.utc))
        session.add(campaign)
        session.flush()
        return campaign.id


def test_an_officer_creates_a_campaign(runtime, client_as, officers):
    client = client_as("xa")
    made = client.post_form("/admin/campaigns", {"name": "Tuần lễ học tập An Bình 2026",
                                                 "unit": "9001", "starts_on": "2026-10-01",
                                                 "ends_on": "2026-10-07"})
    assert made.status_code == 303
    listing = client.get("/admin/campaigns").get_data(as_text=True)
    assert "Tuần lễ học tập An Bình 2026" in listing and "01/10/2026" in listing
    assert "An Bình 2026" not in client_as("khac").get("/admin/campaigns").get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"name": ""}, "tên chiến dịch"),
    ({"ends_on": "2026-09-30"}, "Ngày kết thúc"),
    ({"starts_on": "1/10"}, "Ngày bắt đầu không hợp lệ"),
    ({"ends_on": "2028-01-01"}, "tối đa một năm"),
    ({"unit": "9101"}, "phạm vi"),
])
def test_a_campaign_form_with_a_mistake_says_what(runtime, client_as, officers, form, message):
    data = {"name": "Tuần lễ", "unit": "9001", "starts_on": "2026-10-01", "ends_on": "2026-10-07", **form}
    page = client_as("xa").post_form("/admin/campaigns", data)
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    with runtime.db.read() as session:
        assert session.scalars(select(Campaign)).all() == []


def figures_of(html):
    during = {k: int(v.replace(".", "")) for k, v in re.findall(r'data-during="(\w+)">([\d.]+)<', html)}
    year = {k: int(v.replace(".", "")) for k, v in re.findall(r'data-year="(\w+)">([\d.]+)<', html)}
    return during, year


def test_the_campaign_counts_what_happened_during_it(runtime, client_as, officers):
    # registered and finished in the week; registered before, finished in the week
    # (completed, not registered, during it); finished before it; failed in the week;
    # the last day counts until midnight in Vietnam; the day after does not
    add_citizen(runtime, "9001", "Trong Tuần", points=PASS, registered=vn(2026, 10, 1))
    early = add_citizen(runtime, "9001", "Đăng Ký Trước", points=PASS, registered=vn(2026, 9, 1))
    add_citizen(runtime, "9001-1", "Xong Trước", points=PASS, registered=vn(2026, 8, 1))
    add_citizen(runtime, "9001", "Chưa Đạt", points=FAIL_TOTAL, registered=vn(2026, 10, 4))
    add_citizen(runtime, "9001", "Phút Chót", registered=vn(2026, 10, 7, 23))
    add_citizen(runtime, "9001", "Hôm Sau", registered=vn(2026, 10, 8, 0))
    add_citizen(runtime, "9002", "Xã Khác", points=PASS, registered=vn(2026, 10, 2))
    with runtime.db.transaction() as session:
        moved = session.get(Assessment, early.assessment_id)
        moved.completed_at = vn(2026, 10, 3)
        moved.decision, moved.decided_by, moved.decided_at = "approved", "xa", vn(2026, 10, 5)
    campaign_id = make_campaign(runtime, date(2026, 10, 1), date(2026, 10, 7))
    during, year = figures_of(client_as("xa").get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True))
    assert during == {"registered": 3, "completed": 3, "passed": 2, "recognised": 1}
    assert year == {"registered": 6, "completed": 4, "passed": 3, "recognised": 1}


def test_the_dashboard_shows_the_running_campaign_beside_the_totals(runtime, client_as, officers):
    today = datetime.now(TIMEZONE).date()
    add_citizen(runtime, "9001", "Hôm Nay", registered=datetime.now(timezone.utc))
    campaign_id = make_campaign(runtime, this_year(today - timedelta(days=2)), today + timedelta(days=4))
    page = client_as("xa").get("/admin/").get_data(as_text=True)
    assert 'id="campaign"' in page and f"/admin/campaigns/{campaign_id}" in page
    during, _ = figures_of(page)
    assert during["registered"] == 1
    # another province's officer does not see it; a campaign long over is not shown
    assert 'id="campaign"' not in client_as("khac").get("/admin/").get_data(as_text=True)


def test_a_campaign_lists_its_broadcasts(runtime, client_as, officers):
    add_citizen(runtime, "9001", "Người Nhận", phone="+84912555000")
    campaign_id = make_campaign(runtime, date(2026, 10, 1), date(2026, 10, 7))
    client = client_as("xa")
    composer = client.get(f"/admin/broadcasts/new?campaign={campaign_id}").get_data(as_text=True)
    assert re.search(rf'<option value="{campaign_id}" selected>', composer)
    sent = client.post_form("/admin/broadcasts", {"unit": "9001", "text": "Mời dự khai mạc Tuần lễ",
                                                  "campaign": str(campaign_id), "status": "all",
                                                  "key": "w1"})
    broadcast_path = sent.headers["Location"]
    page = client.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert broadcast_path.removeprefix("http://localhost") in page and "Mời dự khai mạc" in page


def test_the_provinces_learning_week_shows_on_a_communes_dashboard_with_its_figures(
        runtime, client_as, officers):
    today = datetime.now(TIMEZONE).date()
    add_citizen(runtime, "9001", "Mới Đăng Ký", registered=datetime.now(timezone.utc))
    add_citizen(runtime, "9002", "Xã Bên Cạnh", registered=datetime.now(timezone.utc))
    make_campaign(runtime, this_year(today - timedelta(days=1)), today + timedelta(days=5), unit="90",
                  name="Tuần lễ của tỉnh")
    page = client_as("xa").get("/admin/").get_data(as_text=True)
    assert "Tuần lễ của tỉnh" in page
    assert "/admin/campaigns/" not in page          # the province's page is not the commune's
    during, year = figures_of(page)
    tiles = dict(re.findall(r'data-key="(\w+)">([\d.]+)<', page))
    assert during["registered"] == 1                 # the commune's own, during the week
    assert {k: str(v) for k, v in year.items()} == {k: tiles[k] for k in year}
