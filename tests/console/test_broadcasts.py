"""Announcements in the console: the composer's counter, the preview (recipients, split
by channel, cost, quiet hours), the test to oneself, sending, the progress counters (the
same as `flask broadcast status`), cancelling, and targeting that never leaves the scope."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.delivery.dispatch import dispatch_pass
from storage.models import AuditEntry, Broadcast, Contact, Officer, Outbox
from tests.fake_zalo import zalo_settings

from .conftest import PASS, THIS_YEAR, add_citizen

SMS_PRICE, ZNS_PRICE = 350.0, 220.0


class FakeZaloUrl:
    url = "http://zalo.test"


class Recorder:
    """A channel that accepts every message (the dispatcher's contract, no network)."""
    def __init__(self, name, templates=None):
        self.name, self.templates, self.sent = name, templates or {}, []

    def send(self, message):
        from webhooks.contract import SendResult
        self.sent.append(message)
        return SendResult(provider_message_id=f"{self.name}-{message.outbox_id}")


def settings(**more):
    return {**zalo_settings(FakeZaloUrl), "kannel_sendsms_url": "http://kannel.test/sendsms",
            "kannel_mo_secret": "s", "price_sms": SMS_PRICE, "price_zns": ZNS_PRICE, **more}


@pytest.fixture
def app(make_app):
    app = make_app(**settings())
    runtime = app.extensions["cdht"]
    runtime.channels["zalo"] = Recorder("zalo")
    runtime.channels["kannel"] = Recorder("kannel")
    return app


def now():
    return datetime.now(timezone.utc)


def wrote_on_zalo(runtime, citizen_id, ago):
    with runtime.db.transaction() as session:
        session.add(Contact(channel="zalo", address=f"zl-{citizen_id}", citizen_id=citizen_id,
                            last_inbound_at=now() - ago, created_at=now() - timedelta(days=30)))


@pytest.fixture
def people(runtime, officers):
    """In 9001: 3 who wrote on Zalo an hour ago (and have a phone), 2 who wrote 10 days
    ago (with a phone), 1 with a phone only, 1 with neither; in 9002 one more; in 9101
    (another province) one outsider."""
    made = {"recent": [], "old": [], "phone": [], "none": []}

    def add(*args, **kwargs):   # of this year: what status targeting and placeholders read
        return add_citizen(*args, period=THIS_YEAR, **kwargs)

    for i in range(3):
        p = add(runtime, "9001", f"Gần Đây {i}", phone=f"+8491200000{i}")
        wrote_on_zalo(runtime, p.citizen_id, timedelta(hours=1))
        made["recent"].append(p.citizen_id)
    for i in range(2):
        p = add(runtime, "9001-1", f"Lâu Rồi {i}", phone=f"+8491210000{i}", points=PASS)
        wrote_on_zalo(runtime, p.citizen_id, timedelta(days=10))
        made["old"].append(p.citizen_id)
    made["phone"].append(add(runtime, "9001", "Chỉ Có Số", phone="+84912200000",
                             points=PASS[:4], answered=4).citizen_id)
    made["none"].append(add(runtime, "9001", "Không Liên Lạc").citizen_id)
    made["other_commune"] = add(runtime, "9002", "Xã Khác", phone="+84912300000").citizen_id
    made["outsider"] = add(runtime, "9101", "Người Ngoài", phone="+84912400000").citizen_id
    return made


def draft(**more):
    return {"unit": "9001", "text": "Kính mời bà con dự Tuần lễ học tập suốt đời ngày 1/10.",
            "status": "all", "key": "", **more}


def test_the_counter_gives_the_sms_form_and_its_segments(client_as, officers):
    client = client_as("xa")
    short = client.post_form("/admin/broadcasts/count", {"text": "Kính mời bà con đến họp."}).get_json()
    assert short["sms_text"] == "Kinh moi ba con den hop."
    assert (short["encoding"], short["segments"], short["units"], short["over"]) == ("GSM-7", 1, 24, False)
    long = client.post_form("/admin/broadcasts/count", {"text": "Học tập suốt đời. " * 10}).get_json()
    assert long["units"] == 179 and long["segments"] == 2 and long["per_segment"] == 153 and long["over"]
    typed = client.post_form("/admin/broadcasts/count",
                             {"text": "x", "sms_text": "Có dấu thì UCS-2"}).get_json()
    assert (typed["encoding"], typed["per_segment"], typed["sms_text"]) == ("UCS-2", 70, "Có dấu thì UCS-2")
    personal = client.post_form("/admin/broadcasts/count", {"text": "{Xung_ho} ơi, {xung_ho} {tien_do}."}).get_json()
    # counted on the longest rendering any citizen gets
    assert personal["personal"] and personal["units"] == len("Anh/chi oi, anh/chi chua bat dau tu danh gia.")


def test_the_preview_splits_recipients_by_channel_and_prices_them(client_as, people):
    page = client_as("xa").post_form("/admin/broadcasts/preview", draft())
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    tiles = dict(re.findall(r'data-channel="(\w+)">([\d.]+)<', html))
    # 7 in 9001's subtree: recent Zalo 3 (free); old Zalo + phone-only 3 → SMS (no ZNS
    # template for announcements); 1 unreachable
    assert tiles == {"zalo": "3", "zns": "0", "sms": "3", "unreachable": "1"}
    assert re.search(r'id="recipients">7<', html)
    assert 'id="cost-sms">1.050 đ<' in html          # 3 × 1 segment × 350 đ
    assert 'id="cost-total"><b>1.050 đ<' in html
    assert "1 người (chưa có Zalo; chưa có số điện thoại đã xác minh)" in html
    assert "Xã Khác" not in html and "Người Ngoài" not in html


def test_a_zns_template_for_announcements_moves_phone_holders_to_zns(make_app, officers_app_zns):
    client, runtime = officers_app_zns
    html = client.post_form("/admin/broadcasts/preview", draft()).get_data(as_text=True)
    tiles = dict(re.findall(r'data-channel="(\w+)">([\d.]+)<', html))
    assert tiles == {"zalo": "3", "zns": "3", "sms": "0", "unreachable": "1"}
    assert 'id="cost-zns">660 đ<' in html and 'id="cost-total"><b>660 đ<' in html


@pytest.fixture
def officers_app_zns(make_app, client_as, people, runtime):
    runtime.channels["zalo"].templates = {"broadcast": "tpl-42"}
    return client_as("xa"), runtime


def test_sending_plans_one_row_per_recipient_and_the_progress_matches_the_command(
        app, runtime, client_as, people):
    client = client_as("xa")
    response = client.post_form("/admin/broadcasts", draft(key="k1"))
    assert response.status_code == 303
    broadcast_id = int(response.headers["Location"].rsplit("/", 1)[1])
    again = client.post_form("/admin/broadcasts", draft(key="k1"))   # a double click
    assert again.headers["Location"] == response.headers["Location"]
    with runtime.db.read() as session:
        b = session.get(Broadcast, broadcast_id)
        assert (b.state, b.planned, b.created_by) == ("planned", 7, "xa")
        assert b.estimate["split"] == {"zalo": 3, "zns": 0, "sms": 3, "unreachable": 1}
        assert session.scalar(select(AuditEntry.action).where(
            AuditEntry.target == f"broadcast {broadcast_id}")) == "broadcast.create"
    before = client.get(f"/admin/broadcasts/{broadcast_id}/progress.json").get_json()
    assert (before["total"], before["states"]["queued"], before["percent"], before["done"]) == (7, 7, 0, False)
    dispatch_pass(runtime, now())
    after = client.get(f"/admin/broadcasts/{broadcast_id}/progress.json").get_json()
    assert after["states"]["sent"] == 6 and after["states"]["failed"] == 1
    assert after["channels"] == {"zalo": 3, "sms": 3} and after["percent"] == 100 and after["done"]
    # the command line reads the same numbers
    out = app.test_cli_runner().invoke(args=["broadcast", "status", str(broadcast_id)]).output
    total = next(line for line in out.splitlines() if line.startswith("total")).split()[1:]
    assert [int(n) for n in total] == [after["states"][s] for s in
                                       ("queued", "sending", "sent", "delivered", "failed", "cancelled")]
    page = client.get(f"/admin/broadcasts/{broadcast_id}").get_data(as_text=True)
    assert 'data-state="sent">6<' in page and 'data-channel="sms">3<' in page


def test_personal_placeholders_are_rendered_for_each_recipient(runtime, client_as, people):
    text = "{Xung_ho} ơi, {xung_ho} {tien_do}. Mời {xung_ho} làm tiếp."
    response = client_as("xa").post_form("/admin/broadcasts", draft(text=text, key="p1"))
    assert response.status_code == 303
    with runtime.db.read() as session:
        rows = {r.citizen_id: r for r in session.scalars(select(Outbox).where(Outbox.kind == "broadcast"))}
    halfway = rows[people["phone"][0]]   # born 1956: "bác"; answered 4 of 10
    assert halfway.text == "Bác ơi, bác còn 6 câu. Mời bác làm tiếp."
    assert halfway.sms_text == "Bac oi, bac con 6 cau. Moi bac lam tiep."
    assert rows[people["old"][0]].text == "Bác ơi, bác đã tự đánh giá xong. Mời bác làm tiếp."
    assert rows[people["recent"][0]].text == "Bác ơi, bác chưa bắt đầu tự đánh giá. Mời bác làm tiếp."
    assert len(rows) == 7


def test_a_mistyped_placeholder_is_refused_with_the_right_names(client_as, people):
    page = client_as("xa").post_form("/admin/broadcasts/preview", draft(text="Chào {ten}"))
    assert page.status_code == 400
    assert "{ten}" in page.get_data(as_text=True) and "{xung_ho}" in page.get_data(as_text=True)


@pytest.mark.parametrize("status, expected", [
    ("all", 7), ("not_started", 4), ("in_progress", 1), ("unfinished", 5), ("completed", 2),
    ("passed", 2), ("recognised", 0)])
def test_targeting_by_assessment_status(client_as, people, status, expected):
    html = client_as("xa").post_form("/admin/broadcasts/preview", draft(status=status)).get_data(as_text=True)
    assert re.search(rf'id="recipients">{expected}<', html), status


def test_targeting_by_channel_and_group(client_as, people):
    client = client_as("xa")
    zalo = client.post_form("/admin/broadcasts/preview", draft(channel="zalo")).get_data(as_text=True)
    assert re.search(r'id="recipients">5<', zalo)
    group = client.post_form("/admin/broadcasts/preview", draft(group="hoc_sinh")).get_data(as_text=True)
    assert re.search(r'id="recipients">0<', group)


@pytest.mark.parametrize("form", [
    {"unit": "9101"}, {"unit": "90"}, {"unit": "khong-co"}, {"status": "moi"}, {"channel": "fax"},
    {"text": "  "}, {"send_at": "2020-01-01T08:00"}, {"send_at": "ngày mai"}, {"campaign": "999999"},
    {"course": "abc"}])
def test_a_draft_outside_the_scope_or_malformed_is_refused(runtime, client_as, people, form):
    client = client_as("xa")
    for path in ("/admin/broadcasts/preview", "/admin/broadcasts", "/admin/broadcasts/test"):
        response = client.post_form(path, draft(**form, phone="0912000111"))
        assert response.status_code == 400, (path, form)
    with runtime.db.read() as session:
        assert session.scalars(select(Broadcast)).all() == []
        assert session.scalars(select(Outbox)).all() == []


def test_a_branch_officer_cannot_reach_the_commune_above(client_as, people):
    response = client_as("chihoi").post_form("/admin/broadcasts/preview", draft(unit="9001"))
    assert response.status_code == 400
    ok = client_as("chihoi").post_form("/admin/broadcasts/preview", draft(unit="9001-1"))
    assert re.search(r'id="recipients">2<', ok.get_data(as_text=True))


def test_quiet_hours_are_shown_before_sending(make_app, officers):
    app = make_app(**settings(send_window="07:00-21:00"))
    client = app.test_client()
    from .conftest import csrf_of
    from bot.console.auth import stamp
    with app.extensions["cdht"].db.read() as session:
        officer = session.scalars(select(Officer).where(Officer.username == "xa")).one()
    with client.session_transaction() as cookie:
        cookie["officer"], cookie["stamp"] = officer.id, stamp(officer)
    token = csrf_of(client, "/admin/")
    late = (now() + timedelta(days=2)).astimezone(timezone(timedelta(hours=7))).replace(
        hour=22, minute=30, second=0, microsecond=0)
    html = client.post("/admin/broadcasts/preview", data={
        "csrf_token": token, **draft(send_at=late.strftime("%Y-%m-%dT%H:%M"))}).get_data(as_text=True)
    assert 'id="quiet-hours"' in html
    assert (late + timedelta(hours=8, minutes=30)).strftime("%d/%m/%Y 07:00") in html


def test_a_test_message_goes_to_the_officers_own_phone(runtime, client_as, people):
    client = client_as("xa")
    page = client.post_form("/admin/broadcasts/test", draft(text="{Xung_ho} ơi, {tien_do}.", phone="0912 000 111"))
    assert page.status_code == 200 and "+84912000111" in page.get_data(as_text=True)
    with runtime.db.read() as session:
        row = session.scalars(select(Outbox).where(Outbox.kind == "test")).one()
        assert (row.channel, row.provider, row.address, row.text) == (
            "sms", "kannel", "+84912000111", "Bac oi, con 4 cau.")
        assert session.scalars(select(Officer.phone).where(Officer.username == "xa")).one() == "+84912000111"
        assert session.scalars(select(Broadcast)).all() == []
    bad = client.post_form("/admin/broadcasts/test", draft(phone="12"))
    assert bad.status_code == 400


def test_cancel_stops_what_has_not_gone(runtime, client_as, people):
    client = client_as("xa")
    sent = client.post_form("/admin/broadcasts", draft(key="c1"))
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    assert client.post_form(f"/admin/broadcasts/{broadcast_id}/cancel").status_code == 303
    progress = client.get(f"/admin/broadcasts/{broadcast_id}/progress.json").get_json()
    assert progress["states"]["cancelled"] == 7 and progress["states"]["queued"] == 0
    assert progress["done"] and progress["state"] == "cancelled"
    dispatch_pass(runtime, now())
    assert runtime.channels["zalo"].sent == [] and runtime.channels["kannel"].sent == []
    later = (now() + timedelta(days=3)).astimezone(timezone(timedelta(hours=7))).strftime("%Y-%m-%dT10:00")
    scheduled = client.post_form("/admin/broadcasts", draft(key="c2", send_at=later))
    scheduled_id = int(scheduled.headers["Location"].rsplit("/", 1)[1])
    client.post_form(f"/admin/broadcasts/{scheduled_id}/cancel")
    with runtime.db.read() as session:
        assert session.get(Broadcast, scheduled_id).state == "cancelled"


def test_the_list_shows_only_broadcasts_in_scope(client_as, people):
    client_as("khac").post_form("/admin/broadcasts", draft(unit="9100", key="o1",
                                                           text="Thông báo của tỉnh khác"))
    client_as("xa").post_form("/admin/broadcasts", draft(key="x1"))
    mine = client_as("xa").get("/admin/broadcasts").get_data(as_text=True)
    assert "Tuần lễ học tập" in mine and "Thông báo của tỉnh khác" not in mine


def test_a_big_broadcast_is_left_to_the_scheduler(runtime, client_as, people, monkeypatch):
    from bot.console.pages import broadcasts as page
    from bot.outreach.broadcasts import plan_due
    monkeypatch.setattr(page, "PLAN_IN_REQUEST", 5)   # 7 recipients: "big"
    client = client_as("xa")
    sent = client.post_form("/admin/broadcasts", draft(key="big"))
    broadcast_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    html = client.get(f"/admin/broadcasts/{broadcast_id}").get_data(as_text=True)
    assert "Đang chuẩn bị danh sách 7 người nhận" in html
    assert client.get(f"/admin/broadcasts/{broadcast_id}/progress.json").get_json()["state"] == "scheduled"
    assert plan_due(runtime, now()) == 7        # the scheduler's job, within 30 s
    progress = client.get(f"/admin/broadcasts/{broadcast_id}/progress.json").get_json()
    assert (progress["state"], progress["total"]) == ("planned", 7)
