"""Logging in through a real browser, on a desktop and on a phone-sized screen."""

from selenium.webdriver.common.by import By

from tests.console.conftest import PASSWORD

from .conftest import navigate


def log_in(browser, live, username):
    browser.get(f"{live.url}/admin/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form#login button").click)


def test_log_in_and_out(browser, live, officers):
    log_in(browser, live, "xa")
    assert browser.current_url.rstrip("/").endswith("/admin")
    assert "Cán bộ xã An Bình" in browser.find_element(By.TAG_NAME, "header").text
    navigate(browser, browser.find_element(By.CSS_SELECTOR, ".who button").click)
    assert "/admin/login" in browser.current_url
    browser.get(f"{live.url}/admin/citizens")
    assert "/admin/login" in browser.current_url


def test_a_wrong_password_is_said_plainly(browser, live, officers):
    browser.get(f"{live.url}/admin/login")
    browser.find_element(By.NAME, "username").send_keys("xa")
    browser.find_element(By.NAME, "password").send_keys("sai-mat-khau")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form#login button").click)
    assert "Sai tên đăng nhập hoặc mật khẩu." in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
