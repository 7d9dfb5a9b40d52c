"""Walk every page a committee member and an observer can reach in the demo project, and check
that no household-level detail reaches them (the product brief's privacy principle)."""

from __future__ import annotations

import re
from collections import deque

import pytest

from cbpar.mapping.demo import NOTES
from tests.helpers import fresh_app

HOUSEHOLD_CODE = re.compile(r"\b(?:SH|LS)-\d{3}\b")
SKIP = ("/logout", "/language", ".csv", ".zip", ".md", ".ics", ".soi", ".toi", "/static/")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    return fresh_app(tmp_path_factory.mktemp("crawl"), demo=True)


def crawl(app, username: str, limit: int = 400) -> dict[str, str]:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "demo-password"})
    assert response.status_code == 302
    seen: dict[str, str] = {}
    queue = deque(["/projects/demo/"])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        seen[url] = body
        for link in re.findall(r'href="(/[^"#]*)"', body):
            link = link.replace("&amp;", "&")
            if link.startswith("/projects/demo/") and not any(s in link for s in SKIP):
                queue.append(link)
    return seen


@pytest.mark.parametrize("username", ["observer", "committee1"])
def test_no_household_details_reach_committee_or_observers(demo_app, username):
    pages = crawl(demo_app, username)
    assert len(pages) > 20  # the walk really went through the project
    for url, body in pages.items():
        for note in NOTES:
            assert note not in body, (username, url)
        assert "Grandmother, main carer" not in body, (username, url)  # a family interviewee
        if username == "observer":
            assert not HOUSEHOLD_CODE.search(body), (url, HOUSEHOLD_CODE.search(body))
