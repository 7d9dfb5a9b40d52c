"""Personal API tokens: shown once, stored hashed, revocable, audited; bearer auth without CSRF."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.auth.models import ApiToken
from cbpar.db import db
from cbpar.security import Role
from tests.helpers import fresh_app


def create_token(client) -> str:
    page = client.post("/profile/tokens", data={"name": "import script"}).get_data(as_text=True)
    return re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)


def test_token_is_shown_once_and_stored_hashed(app, client, team, login):
    login(team["users"][Role.RESEARCHER])
    raw = create_token(client)
    assert raw.startswith("cbp_") and len(raw) > 30
    assert raw not in client.get("/profile").get_data(as_text=True)
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert token.prefix == raw[:10] and raw[10:] not in token.prefix
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token_created"))


def test_me_with_a_bearer_token_lists_projects_and_roles(app, client, team, login):
    login(team["users"][Role.RESEARCHER])
    raw = create_token(client)
    api = app.test_client()
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "researcher"
    assert body["projects"] == [
        {
            "slug": "p1",
            "name": "Project p1",
            "role": "researcher",
            "url": "http://localhost/projects/p1/",
        }
    ]
    assert "Set-Cookie" not in response.headers  # a token request gets no session


def test_revoked_or_wrong_tokens_are_refused(app, client, team, login):
    login(team["users"][Role.RESEARCHER])
    raw = create_token(client)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 302
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer cbp_nope"}).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(app, client, team, login):
    login(team["users"][Role.RESEARCHER])
    create_token(client)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client.post("/logout")
    login(team["users"][Role.FIELD_WORKER])
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 404


def test_tokens_do_not_open_html_pages(app, client, team, login):
    login(team["users"][Role.RESEARCHER])
    raw = create_token(client)
    api = app.test_client()
    assert api.get("/profile", headers={"Authorization": f"Bearer {raw}"}).status_code == 302


def test_bearer_requests_need_no_csrf_token_but_cookie_requests_do(tmp_path):
    app = fresh_app(tmp_path, WTF_CSRF_ENABLED=True)

    @app.route("/api/v1/echo", methods=["POST"])
    def echo():
        return {"ok": True}

    echo.required_capability = "authenticated"
    with app.app_context():
        from cbpar.auth.models import User
        from cbpar.auth.services import create_api_token, set_password

        user = User(username="bot")
        set_password(user, "bot password 123")
        db.session.add(user)
        db.session.flush()
        _token, raw = create_api_token(user, "t")
        db.session.commit()
    api = app.test_client()
    assert api.post("/api/v1/echo", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    with_cookie = app.test_client()
    with_cookie.get("/login")  # now holds a session cookie
    response = with_cookie.post("/api/v1/echo", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 400
