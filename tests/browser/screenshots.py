"""Screenshots of the console for the officer guide, from a real browser on demo data:

    make screenshots          # writes docs/screenshots/*.png

A fresh SQLite database in a temporary folder gets the demo province, 400 demo citizens
and an officer of one commune; the app is served on 127.0.0.1 and Debian's chromium
(tests/browser/conftest.py) visits each page as that officer would, on a desktop screen
and on a phone."""

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.console.auth import hash_password  # noqa: E402
from bot.demo_citizens import add_demo_citizens  # noqa: E402
from bot.seed import seed_demo  # noqa: E402
from storage import migrate  # noqa: E402
from bot.delivery.dispatch import dispatch_pass  # noqa: E402
from bot.outreach.broadcasts import create  # noqa: E402
from messages_vi.render import TIMEZONE  # noqa: E402
from storage.models import (Assessment, Broadcast, Campaign, Citizen, Course, CourseSignup,  # noqa: E402
                            Officer, Outbox, Unit)
from tests.browser.conftest import LiveServer, browser_missing, make_driver  # noqa: E402
from tests.fake_zalo import FakeZalo, zalo_settings  # noqa: E402

ANNOUNCEMENT = ("{Xung_ho} ơi, Tuần lễ hưởng ứng học tập suốt đời khai mạc 8 giờ sáng thứ Hai "
                "tại Nhà văn hoá phường. {Xung_ho} {tien_do}, nhắn TIẾP để làm nốt nhé.")

OUT = ROOT / "docs" / "screenshots"
COMMUNE = "Phường Thái Bình"
OFFICER, PASSWORD = "canbo.thaibinh", "mat-khau-demo-1"


def prepare(folder: Path, zalo: FakeZalo):
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    migrate.upgrade(url)
    app = create_app({"database_url": url, "embedded_workers": False, "send_window": "always",
                      **zalo_settings(zalo), "zns_templates": '{"broadcast": "tpl-thong-bao"}',
                      "price_sms": 350, "price_zns": 220, "rate_zalo": 0})
    runtime = app.extensions["cdht"]
    runtime.host.tokens("zalo").set_tokens(zalo.access, zalo.refresh)
    now = datetime.now(timezone.utc)
    with runtime.db.transaction() as session:
        seed_demo(session, "demo-password-1", now)
    runtime.units_changed()
    with runtime.db.transaction() as session:
        add_demo_citizens(session, runtime, 400, now)
        unit = session.scalars(select(Unit).where(Unit.name == COMMUNE)).one()
        session.add(Officer(username=OFFICER, password_hash=hash_password(PASSWORD),
                            name="Nguyễn Thị Hạnh", unit_id=unit.id, role="officer", created_at=now))
        # a citizen of the commune whose assessment waits for recognition
        citizen_id = session.scalar(
            select(Citizen.id).join(Assessment, Assessment.citizen_id == Citizen.id)
            .join(Unit, Citizen.unit_id == Unit.id)
            .where(Unit.path.startswith(unit.path), Assessment.passed.is_(True),
                   Assessment.decision.is_(None)).order_by(Citizen.id))
        campaigns_and_courses(session, runtime, unit, now)
    return app, unit.code, citizen_id


def campaigns_and_courses(session, runtime, unit, now):
    """The learning week running; a course, its announcement to the weak and five answers
    (inserted as demo data, like the demo citizens: the replies themselves are tested in
    tests/bot/test_course_replies.py)."""
    today = now.astimezone(TIMEZONE).date()
    session.add(Campaign(name="Tuần lễ hưởng ứng học tập suốt đời 2026", unit_id=unit.id,
                         starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=4),
                         created_by=OFFICER, created_at=now))
    start = datetime.combine(today + timedelta(days=6), datetime.min.time(), TIMEZONE).replace(hour=8)
    course = Course(unit_id=unit.id, title="Dùng điện thoại thông minh cho người cao tuổi",
                    place="Trung tâm học tập cộng đồng phường", starts_at=start,
                    ends_at=start + timedelta(hours=2, minutes=30), indicators=["dien_thoai", "cong_nghe"],
                    created_by=OFFICER, created_at=now)
    session.add(course)
    session.flush()
    made = create(session, unit.code, f"{{Xung_ho}} ơi, phường mở lớp “{course.title}”. "
                  "Trả lời 1 nếu {xung_ho} sẽ đến, 0 nếu lần này không đến.", now, runtime=runtime,
                  course_id=course.id, weak_only=True, created_by=OFFICER)
    answers = session.scalars(select(Outbox.citizen_id).where(
        Outbox.broadcast_id == made.broadcast.id).limit(5)).all()
    for n, citizen_id in enumerate(answers):
        session.add(CourseSignup(course_id=course.id, citizen_id=citizen_id, coming=n != 3,
                                 answered_at=now - timedelta(minutes=7 * n),
                                 raw_text=("1", "co", "Có ạ", "0", "1")[n]))
    session.flush()


def full_page(driver, path: Path, width: int):
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height, 600), 4000))
    driver.save_screenshot(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    reason = browser_missing()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, FakeZalo() as zalo:
        app, unit_code, citizen_id = prepare(Path(tmp), zalo)
        runtime = app.extensions["cdht"]
        with runtime.db.read() as session:
            course_id = session.scalar(select(Course.id))
        server = LiveServer(app)
        driver = make_driver(tmp)
        try:
            driver.get(f"{server.url}/admin/login")
            full_page(driver, OUT / "login-phone.png", 390)
            driver.find_element(By.NAME, "username").send_keys(OFFICER)
            driver.find_element(By.NAME, "password").send_keys(PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "form#login button").click()
            pages = (("dashboard.png", "/admin/", 1280), ("dashboard-phone.png", "/admin/", 390),
                     ("units.png", "/admin/units", 1280),
                     ("citizens.png", "/admin/citizens", 1280),
                     ("citizen.png", f"/admin/citizens/{citizen_id}", 1280),
                     ("recognition.png", "/admin/recognition", 1280),
                     ("reports.png", "/admin/reports", 1280),
                     ("poster-page.png", f"/admin/units/{unit_code}/poster", 1280))
            for name, path, width in pages:
                driver.set_window_size(width, 900)
                driver.get(server.url + path)
                full_page(driver, OUT / name, width)
            announce(driver, server, runtime, course_id)
        finally:
            driver.quit()
            server.stop()
            app.extensions["cdht"].dispose()
    return 0


def announce(driver, server, runtime, course_id):
    """The composer as the text is typed, the preview, the progress page part-way, a course."""
    driver.set_window_size(1280, 900)
    driver.get(f"{server.url}/admin/broadcasts/new")
    driver.find_element(By.ID, "text").send_keys(ANNOUNCEMENT)
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "sms_text").get_attribute("value"))
    full_page(driver, OUT / "broadcast-composer.png", 1280)
    driver.find_element(By.CSS_SELECTOR, "#composer button.primary").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "cost"))
    full_page(driver, OUT / "broadcast-preview.png", 1280)
    driver.set_window_size(1280, 900)
    driver.find_element(By.ID, "confirm").click()
    driver.switch_to.alert.accept()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "bar"))
    with runtime.db.read() as session:
        broadcast = session.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
        total = broadcast.planned
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:   # really sent, to the fake Zalo, until 60 % are done
        dispatch_pass(runtime)
        with runtime.db.read() as session:
            done = session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.broadcast_id == broadcast.id, Outbox.status.in_(("sent", "failed"))))
        if done >= total * 6 // 10:
            break
        time.sleep(0.3)
    driver.refresh()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "percent").text not in ("", "0"))
    full_page(driver, OUT / "broadcast-progress.png", 1280)
    driver.set_window_size(1280, 900)
    driver.get(f"{server.url}/admin/courses/{course_id}")
    full_page(driver, OUT / "course.png", 1280)
    driver.set_window_size(1280, 900)
    driver.get(f"{server.url}/admin/broadcasts/new?course={course_id}")
    driver.find_element(By.CSS_SELECTOR, "#composer button.primary").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "matching"))
    full_page(driver, OUT / "course-announcement.png", 1280)


if __name__ == "__main__":
    raise SystemExit(main())
