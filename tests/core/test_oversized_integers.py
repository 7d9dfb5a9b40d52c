"""Issue 11, finding 13: an integer too large for the database (a 23-digit id in a path, or in
`page`, `village`, `new`, ... in a query string) answers 404 or is ignored, never a 500."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from tests.helpers import fresh_app

HUGE = str(10**22)  # 23 digits: beyond SQLite's and PostgreSQL's 64-bit integers
# Every integer the views read from query strings, plus a few neighbours, all oversized.
QUERY = {name: HUGE for name in ("page", "per_page", "village", "new", "old", "limit", "id",
                                 "household", "mine", "meeting", "round", "need", "status",
                                 "sort", "since", "after")}  # fmt: skip


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    return fresh_app(tmp_path_factory.mktemp("huge"), demo=True)


@pytest.fixture(scope="module")
def coordinator(demo_app):
    client = demo_app.test_client()
    response = client.post("/login", data={"username": "coordinator", "password": "demo-password"})
    assert response.status_code == 302
    return client


def _fill(rule, number: str) -> str:
    """The rule's URL in the demo project, every <int:...> set to `number`."""
    path = rule.rule.replace("<slug>", "demo")
    path = re.sub(r"<int:[^>]+>", number, path)
    path = path.replace("<kind>", "households")
    return re.sub(r"<[^>]+>", "x", path)


def _status(client, method: str, url: str) -> str:
    try:
        return str(client.open(url, method=method).status_code)
    except Exception as exc:  # the test app propagates errors instead of answering 500
        return type(exc).__name__


def _status_of_post(client, url: str, data: dict[str, str]) -> str:
    try:
        return str(client.post(url, data=data).status_code)
    except Exception as exc:
        return type(exc).__name__


def test_every_route_with_an_integer_in_its_path_answers_404(demo_app, coordinator):
    rules = [r for r in demo_app.url_map.iter_rules() if "<int:" in r.rule]
    assert len(rules) > 50
    wrong = []
    for rule in rules:
        for method in sorted(rule.methods & {"GET", "POST"}):
            url = _fill(rule, HUGE)
            status = _status(coordinator, method, url)
            if status != "404":
                wrong.append(f"{status} {method} {url}")
    assert not wrong, wrong[:15]


def test_oversized_numbers_in_query_strings_are_no_server_error(demo_app, coordinator):
    from cbpar.db import db
    from cbpar.meetings.models import Meeting
    from cbpar.memos.models import Memo

    with demo_app.app_context():
        ids = {
            "meeting_id": db.session.scalar(select(Meeting.id).where(Meeting.minutes != None)),  # noqa: E711
            "memo_id": db.session.scalar(select(Memo.id)),
        }
    wrong = []
    for rule in demo_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        rest = rule.arguments - {"slug"}
        if rest - ids.keys():
            continue
        url = rule.rule.replace("<slug>", "demo")
        for arg in rest:
            url = url.replace(f"<int:{arg}>", str(ids[arg]))
        for value in (HUGE, "-" + HUGE):
            full = f"{url}?{urlencode(dict.fromkeys(QUERY, value))}"
            status = _status(coordinator, "GET", full)
            if not status.isdigit() or not 100 <= int(status) < 500:
                wrong.append(f"{status} {full[:90]}")
    assert not wrong, wrong[:15]


def test_one_bounded_parser_for_query_integers(app):
    from cbpar.web import MAX_INT, int_arg, parse_int

    assert parse_int(HUGE, 1) == 1 and parse_int("-" + HUGE, None) is None
    assert parse_int("7", 1) == 7 and parse_int("x", 3) == 3 and parse_int(None, 2) == 2
    assert parse_int(str(MAX_INT), None) == MAX_INT and parse_int(str(MAX_INT + 1), None) is None
    assert parse_int("0", 5, minimum=1) == 5 and parse_int("１２", 4) == 4  # no full-width digits
    with app.test_request_context(f"/?village={HUGE}&page=3"):
        assert int_arg("village") is None and int_arg("page", 1) == 3


def test_no_view_parses_query_integers_with_werkzeug_type_int():
    """`request.args.get(..., type=int)` has no upper bound: web.int_arg has."""
    from pathlib import Path

    import cbpar

    root = Path(cbpar.__file__).parent
    pattern = re.compile(r"args\.get\([^)]*type=int")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, offenders


def test_an_oversized_record_id_in_a_form_names_no_record(demo_app, coordinator):
    """Forms name linked records by type and id (links.resolve): too large is no record."""
    from cbpar.db import db
    from cbpar.memos.models import Memo

    with demo_app.app_context():
        memo_id = db.session.scalar(select(Memo.id).where(Memo.visibility == "community"))
    url = f"/projects/demo/memos/{memo_id}/links/remove"
    status = _status_of_post(coordinator, url, {"type": "household", "id": HUGE})
    assert status == "404", status
