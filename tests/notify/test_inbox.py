"""The inbox page, opening and marking notifications read, the bell and the overview panel."""

from __future__ import annotations

import re

from sqlalchemy import select

from cbpar.db import db
from cbpar.notify.models import Notification
from cbpar.security import Role
from tests.notify.conftest import count


def ids_of(app, user) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.id)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        )


def bell(html: str) -> str:
    match = re.search(r'<a class="bell[^"]*"[^>]*aria-label="([^"]*)"', html)
    assert match, "no bell in the header"
    return match.group(1)


def test_the_inbox_needs_a_log_in(client):
    response = client.get("/me/notifications")
    assert response.status_code in (302, 401)
    assert client.get("/me/notifications/settings").status_code in (302, 401)


def test_the_inbox_shows_only_ones_own_unread_first(app, client, team, emit, login):
    users, project = team["users"], team["project"]
    me, other = users[Role.RESEARCHER], users[Role.FIELD_WORKER]
    emit("minutes_approved", project, [me], params={"title": "Old meeting"})
    emit("meeting_planned", project, [me], params={"title": "Planning meeting",
         "starts": "2026-12-02T06:00:00+00:00", "meeting_id": 3})  # fmt: skip
    emit("vote_results", project, [other], params={"question": "Their secret question"})
    first = ids_of(app, me)[0]
    with app.app_context():
        db.session.get(Notification, first).read_at = db.session.get(Notification, first).created_at
        db.session.commit()

    login(me)
    response = client.get("/me/notifications")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Their secret question" not in html
    assert html.index("Meeting planned: Planning meeting") < html.index(
        "Minutes approved: Old meeting"
    )
    assert "Wed, Dec 2 14:00 (Beijing time)" in html  # 06:00 UTC in the project's zone
    assert "1 unread" in html
    assert "Mark all read" in html
    assert 'href="/me/notifications/settings"' in html


def test_opening_marks_read_and_goes_to_the_page_only_inside_the_app(
    app, client, team, emit, login
):
    users, project = team["users"], team["project"]
    me, other = users[Role.RESEARCHER], users[Role.FIELD_WORKER]
    emit("vote_opened", project, [me], params={"question": "Q"}, url="/projects/p1/votes/4")
    emit("vote_results", project, [me], params={"question": "Q"}, url="https://evil.example/x")
    emit("vote_results", project, [me], params={"question": "Q"}, url="//evil.example/x")
    emit("vote_results", project, [other], params={"question": "Q"}, url="/projects/p1/")
    local, absolute, scheme_relative = ids_of(app, me)
    theirs = ids_of(app, other)[0]
    login(me)

    # Opening changes something (read), so it is a POST; a GET changes nothing.
    assert client.get(f"/me/notifications/{local}").status_code == 405
    response = client.post(f"/me/notifications/{local}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/p1/votes/4"
    for bad in (absolute, scheme_relative):
        assert client.post(f"/me/notifications/{bad}").headers["Location"] == "/"
    assert count(app, user_id=me.id, read_at=None) == 0
    # Someone else's notification: not found, and left unread.
    assert client.post(f"/me/notifications/{theirs}").status_code == 404
    assert client.post(f"/me/notifications/{theirs}/read").status_code == 404
    assert count(app, user_id=other.id, read_at=None) == 1


def test_mark_one_and_mark_all_read(app, client, team, emit, login):
    users, project = team["users"], team["project"]
    me, other = users[Role.RESEARCHER], users[Role.FIELD_WORKER]
    for n in range(3):
        emit("vote_results", project, [me, other], params={"question": f"Q{n}"})
    login(me)
    assert bell(client.get("/me/notifications").get_data(as_text=True)) == (
        "Notifications, 3 unread"
    )
    one = ids_of(app, me)[0]
    response = client.post(f"/me/notifications/{one}/read")
    assert response.status_code == 302
    assert count(app, user_id=me.id, read_at=None) == 2
    response = client.post("/me/notifications/read-all", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert count(app, user_id=me.id, read_at=None) == 0
    assert count(app, user_id=other.id, read_at=None) == 3
    assert "All read." in html
    assert bell(html) == "Notifications, none unread"
    assert 'class="bell-count"' not in html


def test_the_bell_is_on_every_page_with_the_count(app, client, team, emit, login):
    me = team["users"][Role.OBSERVER]
    emit("vote_results", team["project"], [me], params={"question": "Q"})
    login(me)
    for path in ("/", "/profile", "/projects/p1/"):
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert bell(html) == "Notifications, 1 unread", path
        assert '<span class="bell-count" aria-hidden="true">1</span>' in html
    # Not for someone logged out.
    client.post("/logout")
    assert 'class="bell' not in client.get("/login").get_data(as_text=True)


def test_the_empty_inbox_says_so(client, team, login):
    login(team["users"][Role.OBSERVER])
    html = client.get("/me/notifications").get_data(as_text=True)
    assert "No notifications yet" in html
    assert "Mark all read" not in html


def test_the_inbox_is_paged(app, client, team, emit, login):
    me = team["users"][Role.OBSERVER]
    for n in range(23):
        emit("vote_results", team["project"], [me], params={"question": f"Question {n:02d}"})
    login(me)
    first = client.get("/me/notifications").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert first.count('class="notification unread"') == 20
    second = client.get("/me/notifications?page=2").get_data(as_text=True)
    assert second.count('class="notification unread"') == 3
    assert "Question 00" in second  # the oldest, last


def test_the_inbox_in_chinese(app, client, team, emit, login, make_user):
    me = team["users"][Role.RESEARCHER]
    with app.app_context():
        db.session.get(type(me), me.id).locale = "zh_Hans"
        db.session.commit()
    emit("meeting_planned", team["project"], [me], params={"title": "村民大会",
         "starts": "2026-12-02T06:00:00+00:00", "meeting_id": 3})  # fmt: skip
    login(me)
    html = client.get("/me/notifications").get_data(as_text=True)
    assert "村民大会" in html
    assert "12月2日周三 14:00" in html
    assert "通知" in html


def test_the_overview_lists_unread_notifications_of_that_project(
    app, client, team, emit, login, make_project
):
    users, project = team["users"], team["project"]
    me = users[Role.RESEARCHER]
    elsewhere = make_project("p2", members={me: Role.RESEARCHER})
    for n in range(7):
        emit("vote_results", project, [me], params={"question": f"Here {n}"})
    emit("vote_results", elsewhere, [me], params={"question": "Elsewhere"})
    login(me)
    html = client.get("/projects/p1/").get_data(as_text=True)
    panel = html[html.index('class="card needs-you"') :]
    panel = panel[: panel.index("</section>")]
    assert panel.count("<li>") == 5
    assert "Here 6" in panel and "Here 1" not in panel  # the newest five
    assert "Elsewhere" not in panel
    assert "See all (7)" in panel
    assert bell(html) == "Notifications, 8 unread"
    # Read: the panel goes away.
    client.post("/me/notifications/read-all")
    html = client.get("/projects/p1/").get_data(as_text=True)
    assert "needs-you" not in html
