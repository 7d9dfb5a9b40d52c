"""A coordinator plans a meeting, records attendance, writes and approves minutes, on a phone."""

from __future__ import annotations

from tests.browser.conftest import log_in, nav_link


def test_create_meeting_record_attendance_and_approve_minutes(page):
    log_in(page, "coordinator")
    page.goto("/projects/demo/")
    nav_link(page, "Meetings").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Meetings").is_visible()

    page.get_by_role("link", name="Plan a meeting").click()
    page.get_by_label("Kind of meeting").select_option("community")
    page.get_by_label("Title").fill("Browser test meeting")
    page.get_by_label("Starts").fill("2031-04-10T09:30")
    page.get_by_label("Place").fill("Primary school hall")
    page.get_by_label("Agenda").fill("1. Needs\n2. Next steps")
    page.get_by_role("button", name="Plan the meeting").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Browser test meeting").is_visible()
    assert "2031-04-10 09:30" in page.locator("main").inner_text()

    page.get_by_role("link", name="Record attendance").click()
    page.get_by_label("Demo committee member 1").check()
    page.get_by_label("Demo coordinator").check()
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_load_state()
    page.get_by_label("Role").select_option("grandparent_caregiver")
    page.get_by_label("Gender").select_option("woman")
    page.get_by_label("Age group").select_option("60_plus")
    page.get_by_role("button", name="Add guest").click()
    page.wait_for_load_state()
    assert page.locator('[data-figure="total"]').inner_text() == "3"
    assert page.locator('[data-figure="women"]').inner_text() == "1"

    page.get_by_role("link", name="Back to the meeting").click()
    page.get_by_role("button", name="Mark as held").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Write minutes").click()
    page.get_by_label("Minutes", exact=True).fill("## Agreed\n\n- A kindergarten is needed.")
    page.get_by_role("button", name="Save the minutes").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Agreed").is_visible()

    page.get_by_role("link", name="Approve the minutes…").click()  # asks first
    page.wait_for_load_state()
    assert page.get_by_text("This cannot be undone.").is_visible()
    page.get_by_role("button", name="Yes, approve the minutes").click()
    page.wait_for_load_state()
    assert page.locator(".status-tag").inner_text() == "Minutes approved"
    assert page.get_by_role("link", name="Correct the minutes").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_role("link", name="Print sign-in sheet").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Sign-in sheet").is_visible()
    assert page.js_errors == []
