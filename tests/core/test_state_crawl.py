"""Issue 11, finding 14: every page, in every state the demo's records can be in, for every role.

The demo (`cbpar demo`) holds every kind of record in each of its states: a vote round open with
a ballot cast and members still to vote, a closed one; meetings planned, held with minutes
waiting for approval, approved and cancelled; needs and initiatives in every status; an
interview whose consent was withdrawn. Each demo role follows every same-origin link (query
strings included, JSON answers too) from the home page and from every GET route that needs no
more than one demo record's id, breadth first; no page may answer a server error or a malformed
status line, nor show the withdrawn interview's content.
"""

from __future__ import annotations

import re
import time
from collections import deque
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import func, select

from cbpar.memos.demo import WITHDRAWN_NOTES
from cbpar.projects.models import Project
from tests.helpers import fresh_app

ROLES = ("coordinator", "researcher", "fieldworker", "committee1", "observer")
# Links in pages (href, src, form actions, data-*-url for scripts) and URLs in JSON answers.
HTML_LINK = re.compile(
    r"""(?:href|src|action|data-[\w-]+)\s*=\s*["']((?:/|https?://localhost/)[^"'#]*)"""
)
JSON_LINK = re.compile(r'"((?:/|https?://localhost/)[^"#\s]*)"')
SKIP_PATHS = ("/logout", "/static/")
# Pages of one shape (same path and query once numbers are set aside) are walked up to this
# many: only the demo's 120 households have more, and every other record (so every state of
# every kind) is still reached. It keeps the walk under a minute for the five roles.
PER_SHAPE = 20
MAX_PAGES = 4000
WITHDRAWN = WITHDRAWN_NOTES[:40]  # hidden from everyone once consent is withdrawn


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    return fresh_app(tmp_path_factory.mktemp("state_crawl"), demo=True)


def _key(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    return parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


def _shape(key: tuple[str, tuple[tuple[str, str], ...]]) -> tuple:
    path, query = key
    return re.sub(r"\d+", "N", path), tuple((k, re.sub(r"\d+", "N", v)) for k, v in query)


def _unlinked(app) -> list[str]:
    """Pages no page links to (the JSON API, for one): every GET route that needs only the
    project and at most the id of one kind of linkable record, for each such demo record."""
    from cbpar import links
    from cbpar.db import db

    with app.app_context():
        ids = {}
        for record_type in links.record_types().values():
            model = record_type.model
            query = select(model.id)
            if hasattr(model, "project_id"):
                demo = select(Project.id).where(Project.slug == "demo").scalar_subquery()
                query = query.where(model.project_id == demo)
            ids[record_type.id_arg] = list(db.session.scalars(query.order_by(model.id)))
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        rest = rule.arguments - {"slug"}
        if not rest:
            urls.append(rule.rule.replace("<slug>", "demo"))
        elif len(rest) == 1 and (arg := next(iter(rest))) in ids:
            path = re.sub(r"<slug>", "demo", rule.rule)
            urls += [re.sub(rf"<int:{arg}>", str(i), path) for i in ids[arg][:PER_SHAPE]]
    return sorted(urls)


def crawl(app, username: str) -> tuple[list[str], int]:
    """Walk as `username`; the URLs that answered 5xx or a malformed status, or that show the
    content of an interview whose consent was withdrawn; and the number of pages seen."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "demo-password"})
    assert response.status_code == 302, username
    seen: set[tuple] = set()
    shapes: dict[tuple, int] = {}
    failing: list[str] = []
    queue = deque(["/", "/projects/demo/", *_unlinked(app)])
    while queue:
        url = queue.popleft()
        key = _key(url)
        if key in seen:
            continue
        shape = _shape(key)
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen.add(key)
        shapes[shape] = shapes.get(shape, 0) + 1
        assert len(seen) <= MAX_PAGES, f"{username}: more than {MAX_PAGES} pages"
        try:
            response = client.get(url)
        except Exception as exc:  # the test app propagates errors instead of answering 500
            failing.append(f"500 {type(exc).__name__} {url}")
            continue
        if not 100 <= response.status_code < 500:
            failing.append(f"{response.status} {url}")
            continue
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            if WITHDRAWN in body:
                failing.append(f"withdrawn interview shown: {url}")
            found = HTML_LINK.findall(body)
        elif response.is_json or response.mimetype.endswith("+json"):
            found = JSON_LINK.findall(response.get_data(as_text=True))
        else:
            continue
        for href in found:
            link = urljoin(f"http://localhost{url}", href.replace("&amp;", "&"))
            parts = urlsplit(link)
            if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
                continue
            if parts.path.startswith(SKIP_PATHS):
                continue
            path = parts.path + (
                f"?{urlencode(parse_qsl(parts.query, True))}" if parts.query else ""
            )
            if _key(path) not in seen:
                queue.append(path)
    return failing, len(seen)


def test_demo_holds_every_state(demo_app):
    """The crawl below only means something if the demo really has these states."""
    from cbpar.db import db
    from cbpar.initiatives.models import Initiative, InitiativeStatus
    from cbpar.interviews.models import Interview
    from cbpar.meetings.models import Meeting, MeetingStatus, Minutes
    from cbpar.needs.models import Ballot, Need, NeedStatus, VoteRound
    from cbpar.needs.vote_rounds import state

    with demo_app.app_context():
        meetings = set(db.session.scalars(select(Meeting.status)))
        assert meetings == set(MeetingStatus)
        waiting = db.session.scalar(
            select(func.count(Minutes.id))
            .join(Meeting, Minutes.meeting_id == Meeting.id)
            .where(Meeting.status == MeetingStatus.HELD)
        )
        assert waiting, "no minutes waiting for approval"
        assert set(db.session.scalars(select(Need.status))) == set(NeedStatus)
        rounds = list(db.session.scalars(select(VoteRound)))
        open_rounds = [r for r in rounds if state(r) == "open"]
        assert open_rounds and any(state(r) == "closed" for r in rounds)
        assert db.session.scalar(
            select(func.count(Ballot.id)).where(Ballot.round_id == open_rounds[0].id)
        )
        assert db.session.scalar(select(Interview.id).where(Interview.withdrawn_at.is_not(None)))
        assert set(db.session.scalars(select(Initiative.status))) == set(InitiativeStatus)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_in_every_state_answers_without_server_error(demo_app, username):
    started = time.monotonic()
    failing, pages = crawl(demo_app, username)
    assert not failing, failing[:20]
    assert pages > 20, pages  # the walk really went through the project
    print(f"{username}: {pages} pages in {time.monotonic() - started:.1f} s")
