"""Coding a Chinese passage in Chromium: selected with the mouse and with the keyboard, on a
desktop screen and on a 375 px phone. The offsets the page sends are code points of the stored
Markdown, so the saved passage is exactly the text selected. Set CBPAR_SCREENSHOTS=docs/img to
refresh the screenshots in docs/analysis.md."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cbpar.memos.demo import MEMOS
from tests.browser.conftest import PHONE, log_in

SHOTS = os.environ.get("CBPAR_SCREENSHOTS")
TITLE = "隔代照料与留守儿童"
BODY = next(m["body"] for m in MEMOS if m["title"] == TITLE)
DESKTOP = {"width": 1280, "height": 800}


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"analysis-{name}.png"), full_page=True)


@pytest.fixture(params=["desktop", "phone"])
def screen(request, page):
    page.set_viewport_size(DESKTOP if request.param == "desktop" else PHONE)
    return request.param


def _open_coding_page(page) -> None:
    log_in(page, "researcher")
    page.goto("/projects/demo/memos")
    page.get_by_role("link", name=TITLE).first.click()
    page.get_by_role("link", name="Code passages").click()
    page.wait_for_selector("#qda-text")


def _offsets(page) -> tuple[int, int]:
    return int(page.get_by_label("From character").input_value()), int(
        page.get_by_label("To character").input_value()
    )


def _save(page, code: str, passage: str) -> None:
    before = page.locator("#qda-codings blockquote").all_inner_texts().count(passage)
    page.locator("#qda-form label.check", has_text=code).locator("input").check()
    page.get_by_role("button", name="Code this passage").click()
    page.wait_for_load_state()
    assert "Passage coded." in page.locator("main").inner_text()
    quotes = page.locator("#qda-codings blockquote").all_inner_texts()
    assert quotes.count(passage) == before + 1


# Rectangles of the first and last character of `passage` in the text block.
RECTS = """([passage]) => {
  const block = document.getElementById("qda-text");
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.data.indexOf(passage);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + 1);
    const first = range.getBoundingClientRect();
    range.setStart(node, at + passage.length - 1); range.setEnd(node, at + passage.length);
    const last = range.getBoundingClientRect();
    return [first.left, first.top + first.height / 2, last.right, last.top + last.height / 2];
  }
  return null;
}"""


def test_a_chinese_passage_is_coded_by_selecting_it_with_the_mouse(page, screen):
    passage = "难以辅导作业"
    _open_coding_page(page)
    page.locator("#qda-text").scroll_into_view_if_needed()
    x1, y1, x2, y2 = page.evaluate(RECTS, [passage])
    page.mouse.move(x1 + 1, y1)
    page.mouse.down()
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
    page.mouse.move(x2 - 1, y2, steps=4)
    page.mouse.up()
    start = BODY.index(passage)
    assert _offsets(page) == (start, start + len(passage))
    assert passage in page.locator("#qda-selection").inner_text()
    _shot(page, f"coding-{screen}")
    # Each screen applies its own code (the same code on the same passage is not doubled).
    _save(page, "grandparent care" if screen == "desktop" else "access to childcare", passage)
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    elif SHOTS:
        page.goto("/projects/demo/qda")
        _shot(page, "codebook")
        page.goto("/projects/demo/qda/analysis")
        _shot(page, "charts")
    assert page.js_errors == []


def test_a_chinese_passage_is_coded_with_the_keyboard(page, screen):
    passage = "十公里外"
    _open_coding_page(page)
    page.get_by_role("button", name="Code a passage").click()
    assert page.evaluate("document.activeElement.id") == "qda-text"
    start = BODY.index(passage)
    for _ in range(start):
        page.keyboard.press("ArrowRight")
    for _ in range(len(passage)):
        page.keyboard.press("Shift+ArrowRight")
    assert _offsets(page) == (start, start + len(passage))
    assert passage in page.locator("#qda-selection").inner_text()
    page.keyboard.press("Enter")  # on to the codes
    assert page.evaluate("document.activeElement.name") == "codes"
    _save(page, "distance" if screen == "desktop" else "parents away", passage)
    assert page.js_errors == []
