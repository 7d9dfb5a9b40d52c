"""The members page: the invitation link to copy or to scan (a QR code drawn on the server),
what each role may do beside the role select, and rows that stack on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import segno
from markupsafe import escape
from sqlalchemy import select

from cbpar.auth.models import Invitation
from cbpar.db import db, utcnow
from cbpar.projects import services
from cbpar.security import Role

MEMBERS = "/projects/p1/members"


def invite(client, username: str = "new.person") -> str:
    response = client.post(MEMBERS, data={"username": username, "role": "field_worker"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def qr_of(html: str) -> str:
    match = re.search(r'<svg role="img" [^>]*class="qr">.*?</svg>', html, re.S)
    assert match, "no QR code on the page"
    return match.group()


def test_the_link_comes_with_a_copy_button_and_its_qr_code(client, team, login):
    login(team["users"][Role.COORDINATOR])
    html = invite(client)
    url = html.split('id="invite-url">')[1].split("<")[0]
    assert "/invitations/" in url
    assert 'data-copy="invite-url"' in html and "/js/copy." in html
    svg = qr_of(html)
    # The code is the link itself: segno draws the very same symbol for that URL.
    expected = segno.make(url, error="m").svg_inline(scale=1, border=4, dark="#000", light="#fff")
    assert re.search(r' d="([^"]+)"', svg.split("qrline")[1]).group(1) in expected
    assert "<title>Invitation link for new.person</title>" in svg
    assert "<script" not in svg and "http" not in svg  # only path data; the link is not text


def test_no_link_and_no_qr_code_once_the_page_is_left(client, team, login):
    login(team["users"][Role.COORDINATOR])
    invite(client)
    later = client.get(MEMBERS).get_data(as_text=True)
    assert "new.person" in later  # the pending invitation is listed...
    assert 'id="invite-url"' not in later and 'class="qr"' not in later  # ...not its link


def test_a_link_that_no_longer_works_is_never_shown(app, ctx, team):
    """_with_link shows the link and its QR code only for a pending invitation."""
    project = db.session.get(type(team["project"]), team["project"].id)
    coordinator = db.session.get(
        type(team["users"][Role.COORDINATOR]), team["users"][Role.COORDINATOR].id
    )
    invitation, _token = services.invite_member(
        project, "late.person", "", Role.OBSERVER, coordinator
    )
    assert services.is_pending(invitation)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    assert not services.is_pending(invitation)
    invitation.expires_at = utcnow() + timedelta(days=1)
    invitation.used_at = utcnow()
    assert not services.is_pending(invitation)


def test_only_the_coordinator_gets_the_page(client, team, login):
    for role in Role:
        if role is Role.COORDINATOR:
            continue
        login(team["users"][role])
        assert client.get(MEMBERS).status_code in (403, 404), role
        assert client.post(MEMBERS, data={"username": "x.y", "role": "observer"}).status_code in (
            403,
            404,
        )


def test_each_role_says_what_it_may_do_beside_the_select(client, team, login):
    login(team["users"][Role.COORDINATOR])
    html = client.get(MEMBERS).get_data(as_text=True)
    assert 'aria-describedby="role-help"' in html and '<dl id="role-help">' in html
    for role in Role:
        assert role.description, role
        assert f"<dt>{role.label}</dt><dd>{escape(role.description)}</dd>" in html


def test_member_rows_carry_labels_to_stack_on_a_phone(client, team, login):
    login(team["users"][Role.COORDINATOR])
    invite(client)
    html = client.get(MEMBERS).get_data(as_text=True)
    for table_id in ("members", "pending-invitations"):
        table = html.split(f'<table id="{table_id}" class="stack">')[1].split("</table>")[0]
        assert 'data-label="Username"' in table and 'data-label="Role"' in table, table_id
    with client.application.app_context():
        pending = db.session.scalars(select(Invitation)).all()
    assert len(pending) == 1
