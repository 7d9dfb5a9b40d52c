"""Log-in, log-out, sessions that really end, rate limits, invitations."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.auth.models import User
from cbpar.db import db
from tests.helpers import PASSWORD, fresh_app


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_login_page_renders_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page
    assert 'for="username"' in page  # every field has a label


def test_login_success_redirects_and_is_audited(app, client, make_user):
    make_user("alice")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert "login" in audit_actions(app)


def test_unknown_user_and_wrong_password_look_the_same(app, client, make_user):
    make_user("alice")
    wrong = client.post("/login", data={"username": "alice", "password": "not the password"})
    unknown = client.post("/login", data={"username": "nobody", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 200
    message = "Unknown username or wrong password."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert audit_actions(app).count("login_failed") == 2


def test_failed_login_does_not_log_the_password(app, client, make_user, caplog):
    make_user("alice")
    client.post("/login", data={"username": "alice", "password": "secret-typo-123"})
    assert "secret-typo-123" not in caplog.text
    with app.app_context():
        details = [e.details for e in db.session.scalars(select(AuditEvent))]
    assert "secret-typo-123" not in repr(details)


def test_disabled_user_cannot_log_in(client, make_user):
    make_user("alice", active=False)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "Unknown username or wrong password." in response.get_data(as_text=True)


def test_next_parameter_cannot_leave_the_site(client, make_user):
    make_user("alice")
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "alice", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/profile", data={"username": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/profile"


def test_login_starts_a_fresh_session(client, make_user):
    make_user("alice")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
        sess["locale"] = "zh_Hans"
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["locale"] == "zh_Hans"  # the language choice survives


def test_logout_ends_a_copied_session_cookie(app, client, make_user, login):
    make_user("alice")
    login("alice")
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_requires_post(client, make_user, login):
    make_user("alice")
    login("alice")
    assert client.get("/logout").status_code == 405
    assert client.get("/profile").status_code == 200


def test_remember_me_cookie_is_ended_by_logout(app, client, make_user):
    make_user("alice")
    client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only
    other = app.test_client()
    other.set_cookie("remember_token", remember.value)
    assert other.get("/profile").status_code == 200  # remember-me works...
    client.post("/logout")
    again = app.test_client()
    again.set_cookie("remember_token", remember.value)
    assert again.get("/profile").status_code == 302  # ...until the user logs out


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, make_user, login):
    make_user("alice")
    other_device = app.test_client()
    login("alice", c=other_device)
    login("alice")
    response = client.post(
        "/profile/password",
        data={
            "current": PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert other_device.get("/profile").status_code == 302
    assert "password_changed" in audit_actions(app)


def test_password_change_checks_current_password_and_policy(client, make_user, login):
    make_user("alice")
    login("alice")
    wrong = client.post(
        "/profile/password",
        data={
            "current": "wrong",
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert wrong.status_code == 422
    assert "This is not your current password." in wrong.get_data(as_text=True)
    short = client.post(
        "/profile/password", data={"current": PASSWORD, "password": "short", "confirm": "short"}
    )
    assert "Use at least 10 characters." in short.get_data(as_text=True)
    common = client.post(
        "/profile/password",
        data={"current": PASSWORD, "password": "1234567890", "confirm": "1234567890"},
    )
    assert "too common" in common.get_data(as_text=True)


def test_disabling_an_account_ends_its_sessions(app, client, make_user, login):
    make_user("admin", is_admin=True)
    alice = make_user("alice")
    alice_client = app.test_client()
    login("alice", c=alice_client)
    login("admin")
    response = client.post(f"/admin/users/{alice.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert alice_client.get("/profile").status_code == 302
    assert "user_disabled" in audit_actions(app)


def test_login_is_rate_limited_per_account(tmp_path):
    app = fresh_app(tmp_path, LOGIN_RATE_LIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [
        client.post("/login", data={"username": "alice", "password": f"wrong-{i}"}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    # Another account from another address is not blocked by alice's limit.
    other = client.post(
        "/login",
        data={"username": "bob", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 200
    # The same account from an address that has not been failing is not held back (issue 11:
    # an attacker elsewhere must not lock the owner out).
    again = client.post(
        "/login",
        data={"username": "alice", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.0.0.10"},
    )
    assert again.status_code == 200


def test_invitation_sets_password_once(app, client, make_project):
    from cbpar.projects.services import invite_member
    from cbpar.security import Role

    project = make_project("p1")
    with app.test_request_context():
        project = db.session.merge(project)
        _invitation, token = invite_member(project, "newbie", "", Role.OBSERVER, None)
        db.session.commit()
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "newbie" in page.get_data(as_text=True)
    bad = client.post(f"/invitations/{token}", data={"password": "short", "confirm": "short"})
    assert bad.status_code == 422
    good = client.post(
        f"/invitations/{token}",
        data={"password": "my own passphrase 2026", "confirm": "my own passphrase 2026"},
    )
    assert good.status_code == 302
    assert client.get("/profile").status_code == 200
    assert client.get(f"/invitations/{token}").status_code == 404  # used up


def test_invited_user_cannot_log_in_before_setting_a_password(app, client):
    with app.app_context():
        db.session.add(User(username="pending"))
        db.session.commit()
    response = client.post("/login", data={"username": "pending", "password": ""})
    assert response.status_code == 422
    response = client.post("/login", data={"username": "pending", "password": "anything at all"})
    assert "Unknown username or wrong password." in response.get_data(as_text=True)
