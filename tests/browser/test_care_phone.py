"""Services and care on a 375 px phone: the overdue list leads to logging a call, and a
session's attendance is taken with one tap per child. Set CBPAR_SCREENSHOTS=docs/img to
refresh the screenshots shown in docs/services.md."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import PHONE, log_in

SHOTS = os.environ.get("CBPAR_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"services-{name}.png"), full_page=True)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width} px wide on a {PHONE['width']} px phone"


def test_an_overdue_call_is_logged_from_the_list_on_a_phone(page):
    log_in(page, "fieldworker")
    page.goto("/projects/demo/follow-ups")
    gaps = page.locator("ul.gaps li")
    assert gaps.count() >= 2
    first = gaps.first
    code = first.locator("strong").inner_text()
    assert "call with a parent" in first.inner_text()
    _fits(page)
    _shot(page, "1-overdue")
    first.get_by_role("link", name="Log a contact").click()
    page.get_by_label("Kind of contact").select_option("video_call")
    page.get_by_label("Minutes").fill("12")
    page.get_by_label("With whom").fill("mother")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "Contact saved." in page.locator("main").inner_text()
    page.goto("/projects/demo/follow-ups")
    calls = [t for t in page.locator("ul.gaps li").all_inner_texts() if "call with a parent" in t]
    assert not any(code in t for t in calls), f"{code} is still listed as overdue"
    assert page.js_errors == []


def test_attendance_is_one_tap_per_child_on_a_phone(page):
    log_in(page, "fieldworker")
    page.goto("/projects/demo/programmes")
    page.get_by_role("link", name="4:30 classroom").click()
    page.get_by_role("link", name="Record a session").click()
    rows = page.locator(".attendance-list li")
    listed = rows.count()
    assert listed >= 2
    rows.first.get_by_text("Present").click()  # the label is the target: one tap
    assert rows.first.locator("input[value=present]").is_checked()
    assert rows.nth(1).locator("input[value=absent]").is_checked()
    page.get_by_label("Topic").fill("Homework")
    _fits(page)
    _shot(page, "2-attendance")
    page.get_by_role("button", name="Save").click()
    main = page.locator("main").inner_text()
    assert "Session saved." in main and f"1 of {listed}" in main
    assert page.js_errors == []


def test_the_care_pages_speak_chinese_on_a_phone(page):
    log_in(page, "fieldworker")
    page.goto("/projects/demo/follow-ups")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "待回访" in main and "没达到联系要求" in main and "和父母通话" in main
    assert "Follow-ups" not in main and "Log a contact" not in main
    page.goto("/projects/demo/programmes")
    page.get_by_role("link", name="4:30 classroom").click()
    page.get_by_role("link", name="记录一次活动").click()
    form = page.locator("main").inner_text()
    assert "谁来了" in form and "到场" in form and "Present" not in form
    _fits(page)
    assert page.js_errors == []
