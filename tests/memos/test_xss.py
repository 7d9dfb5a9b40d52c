"""The Markdown XSS corpus through the real pages: memo, history, conflict, print, search, API."""

from __future__ import annotations

import re

import pytest

from tests.core.test_text import PAYLOADS
from tests.helpers import as_user, new_memo

NEEDLES = (
    "<script",
    "onerror",
    "onclick",
    "javascript:",
    "vbscript:",
    "<iframe",
    "<svg",
    "data:text",
    "data:image",
)


def user_content(html: str) -> str:
    """The page without our own <script src=...> tags and the CSP header text."""
    return re.sub(r'<script src="/static/[^"]+" defer></script>', "", html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_harmless_on_every_page(app, client, team, payload):
    c = as_user(app, "researcher")
    memo_id = new_memo(c, title="xss needle", body=payload + "\n\nneedle", visibility="community")
    c.post(f"/projects/p1/comments/memo/{memo_id}", data={"body": payload})
    pages = [
        f"/projects/p1/memos/{memo_id}",
        f"/projects/p1/memos/{memo_id}/revisions/1",
        f"/projects/p1/memos/{memo_id}/print",
        "/projects/p1/search?q=needle",
        "/projects/p1/memos",
    ]
    for url in pages:
        html = user_content(c.get(url).get_data(as_text=True)).lower()
        for needle in NEEDLES:
            assert needle not in html, (url, needle)
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", html), url
    api = c.get(f"/api/v1/memos/{memo_id}").get_json()["html"].lower()
    for needle in NEEDLES:
        assert needle not in api
