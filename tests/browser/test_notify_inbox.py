"""Issue 19 on a 375 px phone: the bell in the header, the inbox and the settings page fit
the screen and can be used by keyboard and screen reader (the bell's name says the count)."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in


def test_bell_inbox_and_settings_on_a_phone(page):
    log_in(page, "committee1")
    bell = page.locator("a.bell")
    label = bell.get_attribute("aria-label")
    assert re.fullmatch(r"Notifications, (none|\d+) unread", label), label
    bell.click()
    page.wait_for_load_state()
    assert page.url.endswith("/me/notifications")
    assert page.get_by_role("heading", name="Notifications").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    unread = page.locator("li.notification.unread")
    if unread.count() > 1:  # opening one (a button: it changes something) marks it read
        before = unread.count()
        unread.first.locator("button.notification-link").click()
        page.wait_for_load_state()
        assert "/me/notifications" not in page.url
        page.goto("/me/notifications")
        assert page.locator("li.notification.unread").count() == before - 1

    if page.locator("li.notification.unread").count():
        before = page.locator("li.notification.unread").count()
        page.get_by_role("button", name="Mark all read").click()
        page.wait_for_load_state()
        assert page.locator("li.notification.unread").count() == 0 < before
        assert page.locator("a.bell").get_attribute("aria-label") == "Notifications, none unread"

    page.get_by_role("link", name="E-mail settings").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_label("A weekly digest").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_text("does not look like an e-mail address").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The form's 422 answer shows as a console error; nothing else may.
    assert not [e for e in page.js_errors if "status of 422" not in e]
