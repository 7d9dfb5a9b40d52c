"""An observer (a funder) reads the transparency page on a phone: figures, no personal data."""

from __future__ import annotations

from tests.browser.conftest import log_in, nav_link


def test_observer_reads_transparency_page_on_a_phone(page):
    log_in(page, "observer")
    page.goto("/projects/demo/")
    assert page.get_by_role("heading", name="From needs to results").is_visible()
    nav_link(page, "Transparency").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Build a kindergarten in Shuanghe village").is_visible()
    main = page.locator("main").inner_text()
    assert "CNY 550,000.00" in main  # the two foundations' grants, received
    assert "First cohort enrolled" in main
    assert "Four kindergartens renovated" in main
    assert "SH-0" not in main  # no household codes
    assert page.locator(".progress").first.is_visible()
    assert page.get_by_role("button", name="Create a public link").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.js_errors == []
