"""A person logs in, switches to Chinese, sees the project, and logs out, on a phone screen."""

from __future__ import annotations

from tests.browser.conftest import log_in


def test_log_in_switch_to_chinese_see_project_and_log_out(page):
    log_in(page, "coordinator")
    assert page.get_by_role("heading", name="Your projects").is_visible()

    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="你的项目").is_visible()

    page.get_by_role("link", name="X Banner left-behind children study (fictional demo)").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="村庄").is_visible()
    assert "虚构" in page.locator(".demo-banner").inner_text()

    # Readable on a 375 px screen: nothing wider than the viewport.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="登录").is_visible()
    page.goto("/profile")
    assert "/login" in page.url
    assert page.js_errors == []


def test_wrong_password_shows_a_message(page):
    log_in(page, "coordinator", "not the password")
    assert page.get_by_role("alert").inner_text() == "Unknown username or wrong password."
    assert page.js_errors == []


def test_keyboard_reaches_the_skip_link_first(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
