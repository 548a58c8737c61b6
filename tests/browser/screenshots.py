"""Screenshots of the console for the officer guide, from a real browser on demo data:

    make screenshots          # writes docs/screenshots/*.png

A fresh SQLite database in a temporary folder gets the demo province, 400 demo citizens
and an officer of one commune; the app is served on 127.0.0.1 and Debian's chromium
(tests/browser/conftest.py) visits each page as that officer would, on a desktop screen
and on a phone."""

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.console.auth import hash_password  # noqa: E402
from bot.demo_citizens import add_demo_citizens  # noqa: E402
from bot.seed import seed_demo  # noqa: E402
from storage import migrate  # noqa: E402
from storage.models import Assessment, Citizen, Officer, Unit  # noqa: E402
from tests.browser.conftest import LiveServer, browser_missing, make_driver  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
COMMUNE = "Phường Thái Bình"
OFFICER, PASSWORD = "canbo.thaibinh", "mat-khau-demo-1"


def prepare(folder: Path):
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    migrate.upgrade(url)
    app = create_app({"database_url": url, "embedded_workers": False, "send_window": "always"})
    runtime = app.extensions["cdht"]
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
    return app, unit.code, citizen_id


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
    with tempfile.TemporaryDirectory() as tmp:
        app, unit_code, citizen_id = prepare(Path(tmp))
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
        finally:
            driver.quit()
            server.stop()
            app.extensions["cdht"].dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
