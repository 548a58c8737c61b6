"""Campaigns in a real browser (Debian's chromium): compose an announcement and watch the
SMS counter follow the Vietnamese text as it is typed; read the split and the cost; send
it to a commune of a few hundred citizens through a fake Zalo on 127.0.0.1 with a real
`flask worker`; watch the progress bar reach 100 % with the counters equal to
`flask broadcast status`; create a course and announce it to those weak on it."""

import re
from datetime import datetime, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from storage.models import Broadcast, Outbox
from tests.console.conftest import add_citizen
from tests.delivery_world import people
from tests.fake_zalo import FakeZalo, zalo_settings
from tests.processes import environment, spawn

from .conftest import navigate
from .test_login import log_in
from .test_officer_day import accept_confirm

CROWD = 300                       # wrote to the OA within the hour: Zalo CS, free
SHORT = "Kính mời bà con dự lễ khai mạc Tuần lễ học tập suốt đời."
MORE = (" Chương trình có văn nghệ, trao giấy khen Công dân học tập và hướng dẫn dùng điện thoại."
        " Mời cả gia đình cùng đến.")


@pytest.fixture
def fake():
    with FakeZalo() as zalo:
        yield zalo


@pytest.fixture
def settings(fake, clean_db):
    return {**zalo_settings(fake), "database_url": clean_db, "rate_zalo": 0,
            "zns_templates": '{"broadcast": "tpl-thong-bao"}', "price_sms": 350, "price_zns": 220}


@pytest.fixture
def app(make_app, settings, fake):
    app = make_app(**settings)
    app.extensions["cdht"].host.tokens("zalo").set_tokens(fake.access, fake.refresh)
    return app


@pytest.fixture
def worker(settings, tmp_path):
    process = spawn("worker", environment(settings), tmp_path / "worker.log")
    yield process
    process.terminate()
    process.wait(10)


def text_of(browser, element_id):
    return browser.find_element(By.ID, element_id).text


def wait_text(browser, element_id, expected, seconds=10):
    WebDriverWait(browser, seconds).until(lambda b: text_of(b, element_id) == expected,
                                          f"#{element_id} never read {expected!r}")


def test_compose_estimate_send_and_watch_it_go(browser, live, app, runtime, officers, fake, worker):
    now = datetime.now(timezone.utc)
    people(runtime, CROWD, now, unit_code="9001")
    for i in range(20):   # a proven phone and no Zalo: ZNS, 220 đ each
        add_citizen(runtime, "9001-1", f"Chỉ Có Số {i}", phone=f"+8491300{i:04d}")

    log_in(browser, live, "xa")
    browser.get(f"{live.url}/admin/broadcasts/new")
    text = browser.find_element(By.ID, "text")
    text.send_keys(SHORT)
    # the SMS form follows without diacritics; one GSM-7 message
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "sms_text").get_attribute("value")
        == "Kinh moi ba con du le khai mac Tuan le hoc tap suot doi.")
    wait_text(browser, "sms-units", "56")
    assert text_of(browser, "sms-segments") == "1" and text_of(browser, "sms-encoding") == "GSM-7"
    assert not browser.find_element(By.ID, "sms-warning").is_displayed()
    text.send_keys(MORE)
    wait_text(browser, "sms-units", str(56 + len(MORE)))
    assert text_of(browser, "sms-segments") == "2" and text_of(browser, "sms-per") == "153"
    assert browser.find_element(By.ID, "sms-warning").is_displayed()
    # a personal greeting: counted on the longest any citizen gets ("Anh/chi")
    text.clear()
    text.send_keys("{Xung_ho} ơi, " + SHORT)
    wait_text(browser, "sms-units", str(len("Anh/chi oi, ") + 56))
    assert text_of(browser, "sms-personal") == "(dài nhất)"

    # the preview: who, by which channel, at what cost
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "#composer button.primary").click)
    assert text_of(browser, "recipients") == str(CROWD + 20)
    tiles = {t.get_attribute("data-channel"): t.text
             for t in browser.find_elements(By.CSS_SELECTOR, ".tile .value[data-channel]")}
    assert tiles == {"zalo": "300", "zns": "20", "sms": "0", "unreachable": "0"}
    assert text_of(browser, "cost-zns") == "4.400 đ" and text_of(browser, "cost-total") == "4.400 đ"
    assert "Bác ơi, Kính mời bà con" in browser.find_element(By.CSS_SELECTOR, ".bubble").text

    # confirm, then the progress page follows the worker
    navigate(browser, lambda: (browser.find_element(By.ID, "confirm").click(), accept_confirm(browser)))
    broadcast_id = int(browser.current_url.rsplit("/", 1)[1])
    WebDriverWait(browser, 90, poll_frequency=0.5).until(
        lambda b: text_of(b, "percent") == "100", "the progress bar never reached 100 %")
    assert browser.find_element(By.ID, "bar").get_attribute("value") == "100"
    shown = {t.get_attribute("data-state"): int(t.text)
             for t in browser.find_elements(By.CSS_SELECTOR, ".tile .value[data-state]")}
    out = app.test_cli_runner().invoke(args=["broadcast", "status", str(broadcast_id)]).output
    total = next(line for line in out.splitlines() if line.startswith("total")).split()[1:]
    assert [shown[s] for s in ("queued", "sending", "sent", "delivered", "failed", "cancelled")] == \
        [int(n) for n in total]
    assert shown["sent"] + shown["delivered"] == CROWD + 20
    by_channel = {e.get_attribute("data-channel"): e.text
                  for e in browser.find_elements(By.CSS_SELECTOR, ".by-channel [data-channel]")}
    assert by_channel == {"zalo": "300", "zns": "20", "sms": "0"}
    assert not browser.find_element(By.ID, "cancel-form").is_displayed()
    # Zalo got each message once, addressed as each citizen is
    assert len(fake.delivered) == CROWD and len(fake.zns) == 20
    assert len({m["user"] for m in fake.delivered}) == CROWD
    with runtime.db.read() as session:
        assert session.get(Broadcast, broadcast_id).created_by == "xa"


def test_create_a_course_and_announce_it_to_the_weak(browser, live, runtime, officers):
    weak = [add_citizen(runtime, "9001", f"Yếu Điện Thoại {i}", phone=f"+8491400{i:04d}",
                        points=[10, 10, 10, 10, 4, 10, 10, 10, 10, 10]) for i in range(3)]
    for i in range(5):
        add_citizen(runtime, "9001", f"Giỏi {i}", phone=f"+8491500{i:04d}", points=[10] * 10)

    log_in(browser, live, "xa")
    browser.get(f"{live.url}/admin/courses/new")
    browser.find_element(By.NAME, "title").send_keys("Dùng điện thoại thông minh")
    browser.find_element(By.NAME, "place").send_keys("Trung tâm học tập cộng đồng xã An Bình")
    for name, value in (("starts_at", "2027-01-10T08:00"), ("ends_at", "2027-01-10T10:30")):
        browser.execute_script("arguments[0].value = arguments[1]",
                               browser.find_element(By.NAME, name), value)
    browser.find_element(By.CSS_SELECTOR, 'input[name=indicators][value="dien_thoai"]').click()
    Select(browser.find_element(By.NAME, "unit")).select_by_value("9001")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form.card button.primary").click)
    assert "Dùng điện thoại thông minh" in browser.find_element(By.TAG_NAME, "h1").text

    navigate(browser, browser.find_element(By.LINK_TEXT, "Thông báo khoá học").click)
    text = browser.find_element(By.ID, "text").get_attribute("value")
    assert "lớp “Dùng điện thoại thông minh” tại" in text and "Trả lời 1" in text
    wait_text(browser, "sms-segments", "1")
    assert browser.find_element(By.NAME, "weak_only").is_selected()
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "#composer button.primary").click)
    matching = browser.find_element(By.ID, "matching").text
    assert "3 người yếu ở chỉ số “Dùng điện thoại thông minh”" in matching
    assert "Trong 8 người" in matching
    assert text_of(browser, "recipients") == "3"
    navigate(browser, lambda: (browser.find_element(By.ID, "confirm").click(), accept_confirm(browser)))
    assert re.search(r"/admin/broadcasts/\d+$", browser.current_url)
    with runtime.db.read() as session:
        got = set(session.scalars(select(Outbox.citizen_id).where(Outbox.kind == "broadcast")))
    assert got == {p.citizen_id for p in weak}
