"""Issue 15 on a 375 px phone, in Chinese: an overdue flag, and an indicator's recorded baseline
shown beside its current value."""

from __future__ import annotations

import re
from pathlib import Path

from babel.support import Translations

from tests.browser.conftest import log_in

CATALOGUE = Path(__file__).resolve().parents[2] / "cbpar" / "translations"


def _zh(singular: str, plural: str | None = None, n: int = 1) -> str:
    """The Chinese text, or the English one while the catalogue lacks it."""
    zh = Translations.load(str(CATALOGUE), ["zh_Hans"])
    return zh.ngettext(singular, plural, n) if plural else zh.gettext(singular)


def test_overdue_flag_and_baseline_on_a_phone_in_chinese(page):
    log_in(page, "observer")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    try:
        assert page.locator("html").get_attribute("lang").startswith("zh")

        page.goto("/projects/demo/initiatives/")
        # The social-work initiative ended in July 2023 and is still in progress.
        flag = page.locator("[data-overdue]").first
        assert flag.is_visible()
        days = int(flag.get_attribute("data-overdue"))
        assert days > 365
        words = _zh("Overdue by %(num)d day", "Overdue by %(num)d days", days) % {"num": days}
        assert flag.inner_text().strip() == words
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.locator("a", has_text=re.compile("Build a kindergarten")).first.click()
        page.wait_for_load_state()
        row = page.locator("tr", has_text="Shuanghe children under 6")
        baseline = row.locator('[data-value="baseline"]')
        current = row.locator('[data-value="current"]')
        assert baseline.is_visible() and current.is_visible()
        assert baseline.inner_text().startswith("0") and "2020-03-01" in baseline.inner_text()
        assert int(current.inner_text().split()[0].replace(",", "")) > 0
        # Side by side in the table row, both inside the phone's width (the table scrolls).
        box_b, box_c = baseline.bounding_box(), current.bounding_box()
        assert abs(box_b["y"] - box_c["y"]) < 40
        liangshui = page.locator("tr", has_text="Liangshui children under 6")
        assert liangshui.locator('[data-value="current"]').inner_text().startswith("0")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.js_errors == []
    finally:  # the live server is shared: leave this account in English
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
