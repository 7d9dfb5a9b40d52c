"""Issue 15: finding one's way on a 375 px phone, in Chinese, as a committee member.

The project menu folds into a "Menu" button (a <details>: no JavaScript needed) that opens with
the keyboard and shows the groups in the committee's order (meetings, needs and votes first),
with the current page marked by aria-current; the overview shows the research cycle and a
first-run hint that can be dismissed and stays dismissed after a reload. On a wide screen the
groups show without the button.
"""

from __future__ import annotations

from tests.browser.conftest import PHONE, log_in

# The live server is shared by the browser tests; nobody else logs in as this member.
MEMBER = "committee3"


def _open_menu(page) -> None:
    summary = page.locator("details.nav-menu > summary")
    assert summary.is_visible()
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.nav-menu").get_attribute("open") is not None


def test_committee_member_finds_the_way_on_a_phone_in_chinese(page):
    log_in(page, MEMBER)
    page.goto("/projects/demo/")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang").startswith("zh")

    # Folded: the links wait behind the menu button.
    links = page.locator("details.nav-menu .nav-groups a")
    assert not links.first.is_visible()
    _open_menu(page)
    assert links.first.is_visible()
    texts = [t.strip() for t in links.all_inner_texts()]
    assert texts[0] == "概览", texts  # the overview, then the committee's groups
    assert texts[1:4] == ["会议", "需求", "投票"], texts
    assert "访谈" not in texts  # no interviews for a committee member
    current = page.locator('details.nav-menu a[aria-current="page"]')
    assert current.count() == 1 and current.get_attribute("href") == "/projects/demo/"

    # Another section: the menu marks it as the current page.
    page.locator("details.nav-menu a", has_text="投票").first.click()
    page.wait_for_load_state()
    _open_menu(page)
    current = page.locator('details.nav-menu a[aria-current="page"]')
    assert current.count() == 1 and current.inner_text().strip() == "投票"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"menu page is {width} px wide"

    # The overview: the research cycle with the current step, and a hint to dismiss.
    page.goto("/projects/demo/")
    page.wait_for_load_state()
    assert page.locator("section.journey").is_visible()
    assert page.locator('section.journey [aria-current="step"]').is_visible()
    hint = page.locator("aside.hint").first
    assert hint.is_visible()
    dismiss = hint.locator("button.hint-dismiss")
    assert dismiss.is_visible()
    dismiss.click()
    assert not hint.is_visible()
    page.reload()
    page.wait_for_load_state()
    assert page.locator("aside.hint").count() >= 1  # still sent by the server...
    assert not page.locator("aside.hint").first.is_visible()  # ...and kept hidden here
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"overview is {width} px wide"
    assert not page.js_errors, page.js_errors

    # On a wide screen the groups show at once, with no menu button to press.
    page.set_viewport_size({"width": 1366, "height": 800})
    assert not page.locator("details.nav-menu > summary").is_visible()
    assert page.locator("details.nav-menu a", has_text="会议").first.is_visible()
