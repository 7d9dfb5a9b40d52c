"""Helpers for memo tests: write memos as a given member through the pages."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"


def as_user(app, username: str) -> FlaskClient:
    """A client of its own, logged in as `username` (from the `team` fixture)."""
    c = app.test_client()
    response = c.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"log-in as {username} failed"
    return c


def new_memo(c: FlaskClient, **fields: Any) -> int:
    data = {
        "title": "A memo",
        "kind": "research_memo",
        "visibility": "team",
        "body": "Text",
        "tags": "",
    }
    data.update(fields)
    response = c.post("/projects/p1/memos/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(re.search(r"/memos/(\d+)$", response.headers["Location"]).group(1))


def version_of(c: FlaskClient, memo_id: int) -> str:
    page = c.get(f"/projects/p1/memos/{memo_id}/edit").get_data(as_text=True)
    return re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
