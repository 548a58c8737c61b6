"""A real browser on the real console: the app served by werkzeug on 127.0.0.1, and
Debian's chromium driven by its chromedriver through selenium (no browser download).

.ci/run installs `chromium` and `chromium-driver`. Without them these tests are skipped on a
developer's machine, and fail under CI=true, where a skip would hide a broken console."""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.console.conftest import client_as, officers, tree  # noqa: F401  (the console's fixtures)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# As the machine notes say: without these, chromium keeps reaching for Google's hosts.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--lang=vi-VN")


def browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} not found: install Debian's chromium and chromium-driver (.ci/run does)"
    return None


class LiveServer:
    """The app on a free port of 127.0.0.1, in a thread, until stopped."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


def make_driver(download_dir: str, size=(1280, 900)):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.add_experimental_option("prefs", {
        "download.default_directory": download_dir, "download.prompt_for_download": False,
        "intl.accept_languages": "vi-VN,vi"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})   # to read CSP reports
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def navigate(browser, action):
    """Do `action` (a click, a submit) and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    action()
    # While the old document is being torn down, ChromeDriver can answer a question about
    # its node with a generic error ("Node with given id does not belong to the document")
    # instead of "stale element", and a script can land in a context that is going away.
    # Both mean "not settled yet": ask again until the old page is stale and the new one loaded.
    settling = (WebDriverException,)
    WebDriverWait(browser, 10, ignored_exceptions=settling).until(ec.staleness_of(page))
    WebDriverWait(browser, 10, ignored_exceptions=settling).until(
        lambda _: browser.execute_script("return document.readyState") == "complete")


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def browser(tmp_path):
    reason = browser_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = make_driver(str(downloads))
    driver.downloads = downloads
    yield driver
    try:
        # the console allows no inline style or script (CSP): a page that needs one is broken
        refused = [entry["message"] for entry in driver.get_log("browser")
                   if "Content Security Policy" in entry["message"]]
        assert not refused, refused
    finally:
        driver.quit()
