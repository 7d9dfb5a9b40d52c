"""The notification API: the caller's list, marking read, PATCH /me (checked against the
OpenAPI document by the suite's test client)."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.db import db
from cbpar.notify.models import Notification, NotificationSettings
from cbpar.security import Role
from tests.helpers import as_user
from tests.notify.conftest import count

MEETING = {"title": "Village meeting", "starts": "2026-12-02T06:00:00+00:00", "meeting_id": 3}


def ids_of(app, user) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.id)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        )


def test_the_list_is_the_callers_own_unread_first_in_their_language(app, team, emit):
    users, project = team["users"], team["project"]
    me, other = users[Role.RESEARCHER], users[Role.FIELD_WORKER]
    emit("minutes_approved", project, [me], params={"title": "Old"}, url="/projects/p1/m/1")
    emit("meeting_planned", project, [me], params=MEETING, url="/projects/p1/meetings/3")
    emit("vote_results", project, [other], params={"question": "Not yours"})
    c = as_user(app, me.username)
    old = ids_of(app, me)[0]
    c.post("/api/v1/me/notifications/read", json={"ids": [old]})

    response = c.get("/api/v1/me/notifications")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["total"] == 2
    first, second = body["notifications"]
    assert (first["kind"], first["read"], second["read"]) == ("meeting_planned", False, True)
    assert first["title"] == "Meeting planned: Village meeting"
    assert "Wed, Dec 2 14:00 (Beijing time)" in first["text"]
    assert first["project"] == "p1"
    assert first["url"].endswith("/projects/p1/meetings/3")
    assert "Not yours" not in response.get_data(as_text=True)
    # Paged like every list.
    page = c.get("/api/v1/me/notifications?per_page=1&page=2").get_json()
    assert (page["count"], page["pages"], page["notifications"][0]["id"]) == (1, 2, old)
    assert c.get("/api/v1/me/notifications?page=x").status_code == 400


def test_mark_read_by_ids_ignores_other_peoples_ids(app, team, emit):
    users, project = team["users"], team["project"]
    me, other = users[Role.RESEARCHER], users[Role.FIELD_WORKER]
    for _ in range(3):
        emit("vote_results", project, [me, other], params={"question": "Q"})
    mine, theirs = ids_of(app, me), ids_of(app, other)
    c = as_user(app, me.username)
    response = c.post("/api/v1/me/notifications/read", json={"ids": [mine[0], *theirs]})
    assert response.status_code == 200
    assert response.get_json() == {"marked": 1, "unread": 2}
    assert count(app, user_id=other.id, read_at=None) == 3  # never marked
    response = c.post("/api/v1/me/notifications/read", json={"all": True})
    assert response.get_json() == {"marked": 2, "unread": 0}
    assert count(app, user_id=other.id, read_at=None) == 3


def test_mark_read_refuses_bad_input(app, team):
    c = as_user(app, team["users"][Role.RESEARCHER].username)
    for bad in (
        {},
        {"ids": "1,2"},
        {"ids": [1, "2"]},
        {"ids": [True]},
        {"ids": [-1]},
        {"all": False},
        {"all": "yes"},
        {"all": True, "ids": [1]},
        {"ids": [1], "extra": 1},
    ):
        response = c.post("/api/v1/me/notifications/read", json=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"] == "bad_request"
    assert c.post("/api/v1/me/notifications/read", data="x").status_code == 400


def test_the_api_needs_a_log_in(app, database):
    c = app.test_client()
    assert c.get("/api/v1/me/notifications").status_code == 401
    assert c.post("/api/v1/me/notifications/read", json={"all": True}).status_code == 401
    assert c.patch("/api/v1/me", json={"locale": "en"}).status_code == 401


def test_patch_me_changes_frequency_and_language(app, team):
    me = team["users"][Role.RESEARCHER]
    c = as_user(app, me.username)
    response = c.patch("/api/v1/me", json={"email_frequency": "daily", "locale": "zh_Hans"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["email_frequency"], body["locale"], body["email"]) == ("daily", "zh_Hans", None)
    with app.app_context():
        assert db.session.get(User, me.id).locale == "zh_Hans"
        assert db.session.get(NotificationSettings, me.id).email_frequency == "daily"
    # The list now speaks Chinese.
    assert c.patch("/api/v1/me", json={"locale": None}).get_json()["locale"] is None


def test_patch_me_email_is_pending_until_confirmed(app, team):
    from cbpar.notify.delivery_models import OutboxMessage

    me = team["users"][Role.RESEARCHER]
    c = as_user(app, me.username)
    body = c.patch("/api/v1/me", json={"email": "li@example.com"}).get_json()
    assert (body["email"], body["pending_email"]) == (None, "li@example.com")
    with app.app_context():
        sent = list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.to_address == "li@example.com")
            )
        )
    assert len(sent) == 1  # the confirmation link
    body = c.patch("/api/v1/me", json={"email": None}).get_json()
    assert (body["email"], body["pending_email"]) == (None, None)


def test_patch_me_refuses_bad_values(app, team):
    me = team["users"][Role.RESEARCHER]
    c = as_user(app, me.username)
    for bad, field in (
        ({"email": "not-an-address"}, "email"),
        ({"email": 5}, "email"),
        ({"email_frequency": "hourly"}, "email_frequency"),
        ({"locale": "fr"}, "locale"),
        ({"username": "someone-else"}, "username"),
    ):
        response = c.patch("/api/v1/me", json=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["parameter"] == field
    with app.app_context():
        assert db.session.get(NotificationSettings, me.id) is None
        assert db.session.get(User, me.id).username == me.username
