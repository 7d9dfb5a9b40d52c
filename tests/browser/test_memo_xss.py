"""The Markdown XSS corpus in a real memo, comment and live preview: nothing runs in Chromium."""

from __future__ import annotations

from tests.browser.conftest import log_in
from tests.core.test_text import PAYLOADS

CORPUS = "\n\n".join(PAYLOADS) + "\n\n**still bold** 幼儿园"


def test_payloads_do_not_execute_in_a_memo(page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, "researcher")
    page.goto("/projects/demo/memos/new")
    page.get_by_label("Title").fill("XSS corpus")
    page.get_by_label("Text").fill(CORPUS)
    # The live preview renders the same corpus (sanitized by the server).
    page.locator("#memo-preview strong", has_text="still bold").wait_for()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="XSS corpus").is_visible()
    assert page.locator(".memo-body strong", has_text="still bold").is_visible()

    page.get_by_label("Add a comment").fill(CORPUS)
    page.get_by_role("button", name="Post comment").click()
    page.wait_for_load_state()
    page.wait_for_timeout(300)  # give any injected handler (img onerror...) a chance to fire

    dangerous = page.evaluate(
        """() => [...document.querySelectorAll('.prose *')].flatMap(el =>
            [...el.attributes].filter(a => /^on/i.test(a.name)
              || /^\\s*(javascript|data|vbscript):/i.test(a.value))
            .map(a => el.tagName + ' ' + a.name))"""
    )
    assert dangerous == []
    assert page.locator(".prose script, .prose iframe, .prose svg, .prose style").count() == 0
    assert dialogs == []
    # <img src=x> survives as a harmless broken image: its 404 is the only console error allowed.
    assert [e for e in page.js_errors if "Failed to load resource" not in e] == []
    # Usable on a 375 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
