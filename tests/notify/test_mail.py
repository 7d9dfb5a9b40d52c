# ruff: noqa: F401, F811  (pytest fixtures imported from delivery_support)
"""The e-mails themselves: parts and headers, RFC 8058 one-click unsubscribe, and confirming
an address with the link read from the SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cbpar.db import db
from cbpar.notify import mail
from cbpar.notify.models import NotificationSettings
from tests.helpers import PASSWORD
from tests.notify.delivery_support import (
    add_member,
    add_project,
    emit,
    fresh_catalogs,
    html_part,
    make_app,
    notify_app,
    send,
    smtp_server,
    text_part,
)

VOTE = {"question": "Shall we fix the road <first>?", "closes": "2026-12-03T10:00:00+00:00"}


def _vote(app, project, users, n=1):
    emit(app, "vote_opened", project, users, params=VOTE, url=f"/projects/p1/votes/{n}",
         dedupe=f"vote_opened:{n}")  # fmt: skip


def _settings(app, user_id) -> NotificationSettings:
    with app.app_context():
        row = db.session.get(NotificationSettings, user_id)
        db.session.expunge(row)
        return row


def test_an_email_has_a_text_part_an_html_part_and_one_click_unsubscribe(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    user = add_member(app, project, "ann", locale="en")
    _vote(app, project, [user])
    send(app)
    (message,) = smtp_server.mailbox.messages
    assert message["From"] == "CBPAR Workspace <cbpar@example.org>"
    assert message["To"] == "ann@example.org"
    assert message["Date"] and message["Message-ID"].endswith("@example.org>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text, html = text_part(message), html_part(message)
    assert VOTE["question"] in text
    assert "Shall we fix the road &lt;first&gt;?" in html  # escaped, never raw
    assert "https://cbpar.example.org/projects/p1/votes/1" in html
    token = _settings(app, user).unsubscribe_token
    url = f"https://cbpar.example.org/notifications/unsubscribe/{token}"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in text and url in html
    assert "https://cbpar.example.org/me/notifications/settings" in text


def test_one_click_post_unsubscribes_without_login_or_csrf_token(tmp_path, smtp_server):
    app = make_app(tmp_path, smtp_server, WTF_CSRF_ENABLED=True)  # CSRF on, as in production
    project = add_project(app)
    user = add_member(app, project, "ann", locale="en")
    _vote(app, project, [user])
    send(app)
    (message,) = smtp_server.mailbox.messages
    path = message["List-Unsubscribe"].strip("<>").removeprefix("https://cbpar.example.org")
    client = app.test_client()
    # The page (a GET, as a person clicking the link) asks first and changes nothing.
    page = client.get(path)
    assert page.status_code == 200 and 'value="One-Click"' in page.text
    assert _settings(app, user).email_frequency == "immediate"
    # The mail program's POST: no session, no CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _settings(app, user).email_frequency == "never"
    _vote(app, project, [user], n=2)
    summary = send(app)
    assert (summary.queued, summary.skipped) == (0, 1)
    assert len(smtp_server.mailbox.messages) == 1
    # Only this route is exempt: other POSTs still need the token; a wrong token is a 404.
    assert client.post("/notifications/unsubscribe/not-a-token").status_code == 404
    assert client.post("/logout").status_code == 400


def _confirmation_link(smtp_server, address: str) -> str:
    (message,) = smtp_server.mailbox.to(address)
    assert "confirm" in message["Subject"].lower() or "确认" in message["Subject"]
    assert message["List-Unsubscribe"] is None  # not a notification: nothing to leave
    match = re.search(
        r"https://cbpar\.example\.org(/me/notifications/confirm/\S+)", text_part(message)
    )
    assert match, text_part(message)
    return match.group(1)


def _log_in(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _ask(app, user_id: int, address: str) -> None:
    from cbpar.auth.models import User

    with app.test_request_context():
        mail.request_confirmation(db.session.get(User, user_id), address)
        db.session.commit()


def test_the_link_from_the_email_confirms_the_address_once(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    user = add_member(app, project, "ann", locale="en", address=None)
    other = add_member(app, project, "bob", locale="en")
    _ask(app, user, "ann.new@example.org")
    assert send(app).sent == 1
    link = _confirmation_link(smtp_server, "ann.new@example.org")
    settings = _settings(app, user)
    assert (settings.email, settings.pending_email) == (None, "ann.new@example.org")
    assert settings.confirm_token_hash and settings.confirm_token_hash not in link  # hashed

    # Not logged in: the log-in page first. Someone else's account: a clear page, no change.
    assert app.test_client().get(link).status_code in (302, 401)
    wrong = _log_in(app, "bob").get(link)
    assert wrong.status_code == 400 and "another account" in wrong.text
    assert _settings(app, user).email is None
    assert _settings(app, other).email == "bob@example.org"

    client = _log_in(app, "ann")
    response = client.get(link)
    assert response.status_code == 302 and response.location.endswith("/me/notifications/settings")
    settings = _settings(app, user)
    assert (settings.email, settings.pending_email, settings.confirm_token_hash) == (
        "ann.new@example.org",
        None,
        None,
    )
    again = client.get(link)  # single use
    assert again.status_code == 400 and "already used" in again.text
    # And notifications now reach the confirmed address.
    _vote(app, project, [user])
    send(app)
    assert len(smtp_server.mailbox.to("ann.new@example.org")) == 2


def test_a_confirmation_link_expires_after_48_hours(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    user = add_member(app, project, "ann", locale="en", address="old@example.org")
    _ask(app, user, "new@example.org")
    send(app)
    link = _confirmation_link(smtp_server, "new@example.org")
    with app.app_context():
        row = db.session.get(NotificationSettings, user)
        row.confirm_sent_at -= timedelta(hours=49)
        db.session.commit()
    response = _log_in(app, "ann").get(link)
    assert response.status_code == 400 and "48 hours" in response.text
    assert _settings(app, user).email == "old@example.org"  # the old address stays


def test_a_confirmation_email_is_in_the_persons_language(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    user = add_member(app, project, "li", locale="zh_Hans", address=None)
    _ask(app, user, "li@example.org")
    send(app)
    (message,) = smtp_server.mailbox.to("li@example.org")
    assert "CBPAR 工作台" in message["Subject"]


@pytest.mark.parametrize(
    ("url", "host", "port", "implicit", "user", "password"),
    [
        ("smtp://mailer:s%40cret@smtp.example.org:587", "smtp.example.org", 587, False,
         "mailer", "s@cret"),
        ("smtps://mailer:pw@smtp.example.org", "smtp.example.org", 465, True, "mailer", "pw"),
        ("smtp://127.0.0.1:25", "127.0.0.1", 25, False, "", ""),
        ("smtp://localhost", "localhost", 25, False, "", ""),
    ],
)  # fmt: skip
def test_smtp_urls(url, host, port, implicit, user, password):
    smtp = mail.SmtpSettings.parse(url)
    assert (smtp.host, smtp.port, smtp.implicit_tls, smtp.username, smtp.password) == (
        host,
        port,
        implicit,
        user,
        password,
    )


@pytest.mark.parametrize("url", ["http://smtp.example.org", "smtp://", "mail.example.org:25"])
def test_bad_smtp_urls_are_refused(url):
    with pytest.raises(ValueError, match="CBPAR_SMTP_URL"):
        mail.SmtpSettings.parse(url)


def test_only_the_loopback_counts_as_safe_without_tls():
    # With a password and no STARTTLS offered, send_smtp refuses unless the host is local.
    for url, loopback in [
        ("smtp://user:pw@127.0.0.1:25", True),
        ("smtp://user:pw@localhost:25", True),
        ("smtp://user:pw@[::1]:25", True),
        ("smtp://user:pw@smtp.example.org:25", False),
        ("smtp://user:pw@10.0.0.5:25", False),
    ]:
        assert mail.SmtpSettings.parse(url).loopback is loopback, url


def test_unsubscribe_urls_are_stable_per_person(notify_app):
    app = notify_app
    project = add_project(app)
    user = add_member(app, project, "ann")
    with app.app_context():
        settings = db.session.get(NotificationSettings, user)
        first = mail.unsubscribe_url(settings)
        assert mail.unsubscribe_url(settings) == first
        assert first.startswith("https://cbpar.example.org/notifications/unsubscribe/")
        assert len(settings.unsubscribe_token) == 43
        assert mail.settings_for_unsubscribe("x" * 43) is None
        db.session.commit()
        assert (
            db.session.scalar(select(NotificationSettings.unsubscribe_token))
            == (first.rsplit("/", 1)[1])
        )
