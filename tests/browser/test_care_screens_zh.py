"""The phone screenshots of docs/services.md in Chinese (docs/img/services-*-zh.png), beside the
English ones that tests/browser/test_care_phone.py takes. Runs only with CBPAR_SCREENSHOTS set:

    CBPAR_SCREENSHOTS=docs/img .venv/bin/pytest tests/browser/test_care_screens_zh.py \
        tests/browser/test_care_reach_map.py -k "zh or screenshot" -q -p no:cacheprovider

The service-reach one is in tests/browser/test_care_reach_map.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, log_in

SHOTS = os.environ.get("CBPAR_SCREENSHOTS")
pytestmark = pytest.mark.skipif(not SHOTS, reason="set CBPAR_SCREENSHOTS=docs/img to take them")


def _chinese(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()


def _shot(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width} px wide on a {PHONE['width']} px phone"
    page.screenshot(path=str(Path(SHOTS) / f"services-{name}-zh.png"), full_page=True)


def test_overdue_list_and_attendance_zh(page):
    log_in(page, "fieldworker")
    _chinese(page, "/projects/demo/follow-ups")
    main = page.locator("main").inner_text()
    assert "没达到联系要求" in main and "Follow-ups" not in main
    _shot(page, "1-overdue")
    page.goto("/projects/demo/programmes")
    page.get_by_role("link", name="4:30 classroom").click()
    page.get_by_role("link", name="记录一次活动").click()
    rows = page.locator(".attendance-list li")
    rows.first.get_by_text("到场").click()
    page.get_by_label("主题").fill("写作业")
    _shot(page, "2-attendance")
    page.get_by_role("button", name="English").click()
