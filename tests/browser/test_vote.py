"""A committee member ranks needs with the keyboard on a phone, casts the ballot, gets a receipt."""

from __future__ import annotations

from tests.browser.conftest import log_in


def test_rank_with_keyboard_and_get_receipt(page):
    log_in(page, "coordinator")
    page.goto("/projects/demo/votes/new")
    page.get_by_label("Title", exact=True).fill("Browser vote")
    page.get_by_label("Official counting method").select_option("borda")
    for title in ("A kindergarten in Shuanghe village", "A safe winter road to the town school",
                  "Social-work services in the primary school"):  # fmt: skip
        page.get_by_label(title).check()
    page.get_by_label("Opens").fill("2000-01-01T09:00")
    page.get_by_label("Closes").fill("2100-01-01T09:00")
    page.get_by_role("button", name="Create the round").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Browser vote").is_visible()
    vote_url = page.url
    page.locator("form[action='/logout'] button, form[action$='logout'] button").first.click()
    page.wait_for_load_state()

    log_in(page, "committee2")
    page.goto(vote_url)
    items = page.locator("#ballot-list .ballot-item")
    assert items.count() == 3
    # Move the road (last) to the top with the keyboard: focus its Up button, press Enter twice.
    road = page.locator(".ballot-item", has_text="safe winter road")
    up = road.get_by_role("button", name="Move up: A safe winter road to the town school")
    up.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert "safe winter road" in items.nth(0).inner_text()
    assert road.locator("select").input_value() == "1"
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_load_state()
    code = page.locator("#receipt-code").inner_text().strip()
    assert len(code) == 11 and code[5] == "-"
    assert page.js_errors == []
