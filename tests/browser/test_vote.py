"""A committee member ranks needs with the keyboard on a phone, checks and casts the ballot, gets
a receipt."""

from __future__ import annotations

from tests.browser.conftest import log_in


def test_rank_with_keyboard_and_get_receipt(page):
    log_in(page, "coordinator")
    page.goto("/projects/demo/votes/new")
    page.get_by_label("Title", exact=True).fill("Browser vote")
    page.get_by_label("Official counting method").select_option("borda")
    # (the kindergarten is built by now: a need already met is not offered)
    for title in ("A safe winter road to the town school",
                  "Social-work services in the primary school",
                  "Weekly video calls with parents working in cities"):  # fmt: skip
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
    # Move the calls (last) to the top with the keyboard: focus its Up button, press Enter twice.
    calls = page.locator(".ballot-item", has_text="Weekly video calls")
    up = calls.get_by_role(
        "button", name="Move up: Weekly video calls with parents working in cities"
    )
    up.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert "Weekly video calls" in items.nth(0).inner_text()
    assert calls.locator("select").input_value() == "1"
    page.get_by_role("button", name="Check my ballot").click()
    page.wait_for_load_state()
    # The review step: the ballot as it will be counted, then cast.
    assert "Weekly video calls" in page.locator("#review-chosen li").first.inner_text()
    page.get_by_role("button", name="Cast my ballot").click()
    page.wait_for_load_state()
    code = page.locator("#receipt-code").inner_text().strip()
    assert len(code) == 11 and code[5] == "-"

    # The coordinator closes it: a question page first (how many have not voted), then results.
    page.locator("form[action='/logout'] button, form[action$='logout'] button").first.click()
    page.wait_for_load_state()
    log_in(page, "coordinator")
    page.goto(vote_url)
    page.locator("#close-vote").click()
    page.wait_for_load_state()
    assert "have not voted yet" in page.locator("#not-voted").inner_text()
    page.get_by_role("button", name="Close and count now").click()
    page.wait_for_load_state()
    assert page.locator("#outcome").inner_text().startswith("Most pressing: Weekly video calls")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"results page is {width} px wide"
    assert page.js_errors == []
