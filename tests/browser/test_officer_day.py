"""A commune officer's day in a real browser (Debian's chromium): log in, read the
dashboard, add a branch from a file, get the poster, find a citizen, approve one and
return one, download the report. Each step is checked in the page and in the database."""

import time

from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from storage.models import Assessment, Outbox, Unit
from tests.console.conftest import FAIL_TOTAL, PASS, THIS_YEAR, add_citizen

from .conftest import navigate
from .test_login import log_in


def wait_for_file(folder, suffix, seconds=15):
    """The downloaded file once Chrome has finished it. Chrome reserves the final name with
    an empty file while it writes the `.crdownload` beside it, so a file of that name may
    still be empty: wait until no download is in flight and the file has its bytes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        files = list(folder.iterdir())
        done = [p for p in files if p.suffix == suffix and p.stat().st_size > 0]
        if done and not any(p.suffix == ".crdownload" for p in files):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file downloaded into {folder}: {list(folder.iterdir())}")


def accept_confirm(browser):
    WebDriverWait(browser, 5).until(ec.alert_is_present())
    browser.switch_to.alert.accept()


def flash(browser) -> str:
    return WebDriverWait(browser, 5).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".flash"))).text


def test_a_commune_officers_day(browser, live, runtime, officers, tmp_path):
    def add(*args, **kwargs):   # the pages open on this year
        return add_citizen(*args, period=THIS_YEAR, **kwargs)

    lan = add(runtime, "9001", "Nguyễn Thị Lan", points=PASS, zalo="zalo-lan")
    tam = add(runtime, "9001-1", "Bùi Văn Tám", points=PASS, phone="+84912000111")
    add(runtime, "9001", "Trần Văn Hùng", points=FAIL_TOTAL)
    add(runtime, "9001", "Lê Thị Mai", points=PASS, answered=4)
    add(runtime, "9101", "Người Tỉnh Khác", points=PASS)

    # log in and read the dashboard
    log_in(browser, live, "xa")
    assert "Xã An Bình" in browser.find_element(By.TAG_NAME, "h1").text
    tiles = {tile.get_attribute("data-key"): tile.text
             for tile in browser.find_elements(By.CSS_SELECTOR, ".tile .value[data-key]")}
    assert tiles["registered"] == "4" and tiles["completed"] == "3" and tiles["passed"] == "2", tiles

    # import a branch from a CSV file: preview first, nothing written, then confirm
    upload = tmp_path / "don-vi.csv"
    upload.write_text("mã,tên,loại,mã cấp trên\n9001-2,Chi hội thôn Tây,chi hội,9001\n", encoding="utf-8")
    browser.get(f"{live.url}/admin/units/import")
    browser.find_element(By.NAME, "file").send_keys(str(upload))
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form[enctype] button").click)
    assert "Chi hội thôn Tây" in browser.find_element(By.TAG_NAME, "main").text
    with runtime.db.read() as session:
        assert session.scalar(select(Unit.id).where(Unit.code == "9001-2")) is None
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "input[name=token] ~ button").click)
    assert "1 đơn vị mới" in flash(browser)
    with runtime.db.read() as session:
        assert session.scalar(select(Unit.path).where(Unit.code == "9001-2")) == "/90/9001/9001-2/"

    # the poster: the preview image loads, the PDF downloads
    browser.get(f"{live.url}/admin/units/9001/poster")
    image = browser.find_element(By.CSS_SELECTOR, "img.poster-image")
    WebDriverWait(browser, 10).until(lambda _: browser.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", image) == 2480)
    browser.find_element(By.PARTIAL_LINK_TEXT, "Tải PDF").click()
    pdf = wait_for_file(browser.downloads, ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    pdf.unlink()

    # find Lan without typing her accents, open her page, approve
    browser.get(f"{live.url}/admin/citizens")
    search = browser.find_element(By.NAME, "q")
    search.send_keys("nguyen thi lan")
    navigate(browser, search.submit)
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table a[href*='/admin/citizens/']")]
    assert names == ["Nguyễn Thị Lan"], names
    navigate(browser, browser.find_element(By.LINK_TEXT, "Nguyễn Thị Lan").click)
    assert "94" in browser.find_element(By.ID, "score").text
    navigate(browser, lambda: (browser.find_element(By.CSS_SELECTOR, "#decision button.primary").click(),
                               accept_confirm(browser)))
    assert "Công nhận" in flash(browser) or "công nhận" in flash(browser)

    # return Tám's with a reason, from his page
    browser.get(f"{live.url}/admin/citizens/{tam.citizen_id}")
    browser.find_element(By.NAME, "reason").send_keys("Xin gửi ảnh giấy chứng nhận cho câu 5.")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form.return button").click)
    flash(browser)
    with runtime.db.read() as session:
        decisions = {a.citizen_id: (a.decision, a.decided_by, a.decision_reason)
                     for a in session.scalars(select(Assessment).where(
                         Assessment.id.in_([lan.assessment_id, tam.assessment_id])))}
        told = sorted(session.scalars(select(Outbox.citizen_id).where(Outbox.kind == "recognition")))
    assert decisions == {lan.citizen_id: ("approved", "xa", None),
                         tam.citizen_id: ("returned", "xa", "Xin gửi ảnh giấy chứng nhận cho câu 5.")}
    assert told == sorted([lan.citizen_id, tam.citizen_id])

    # the report as XLSX: Lan is recognised, the figures are the dashboard's
    browser.get(f"{live.url}/admin/reports")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Danh sách được công nhận").click()
    listed = wait_for_file(browser.downloads, ".xlsx")
    cells = [str(c) for row in load_workbook(listed, read_only=True).active.iter_rows(values_only=True)
             for c in row if c is not None]
    assert "Nguyễn Thị Lan" in cells and "Bùi Văn Tám" not in cells
    assert "Người Tỉnh Khác" not in cells
    listed.unlink()
    browser.find_element(By.PARTIAL_LINK_TEXT, "Số liệu theo đơn vị").click()
    counts = load_workbook(wait_for_file(browser.downloads, ".xlsx"), read_only=True).active
    text = " ".join(str(c) for row in counts.iter_rows(values_only=True) for c in row if c is not None)
    assert "Xã An Bình" in text and "Tỉnh Khác" not in text
