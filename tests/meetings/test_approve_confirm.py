"""Issue 15: approving minutes asks first (what is approved, that it cannot be undone, Cancel),
and a meeting not yet marked as held gets a hint instead of an approval."""

from __future__ import annotations

import re

import pytest

from cbpar.meetings.models import MeetingStatus
from tests.helpers import csrf_token_from, fresh_app

BASE = "/projects/p1/meetings"


def _save(client, meeting_id, body, version):
    response = client.post(
        f"{BASE}/{meeting_id}/minutes", data={"body": body, "version": str(version)}
    )
    assert response.status_code == 302


def _forms_posting_to(html: str, action_end: str) -> list[str]:
    forms = re.findall(r"<form[^>]*>.*?</form>", html, re.S)
    return [f for f in forms if re.match(rf'<form[^>]*action="[^"]*{action_end}"', f)]


def test_the_meeting_page_links_to_a_confirmation_instead_of_approving(
    client, team, login, make_meeting
):
    meeting_id = make_meeting()
    login("coordinator")
    _save(client, meeting_id, "Agreed: **kindergarten** first.", 0)
    client.post(f"{BASE}/{meeting_id}/status", data={"action": "hold"})
    page = client.get(f"{BASE}/{meeting_id}").get_data(as_text=True)
    approve = f"{BASE}/{meeting_id}/minutes/approve"
    assert f'href="{approve}"' in page
    assert not _forms_posting_to(page, "/minutes/approve"), "one click must not approve"

    confirm = client.get(approve)
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "<strong>kindergarten</strong>" in html  # what is approved, as it reads
    assert 'data-revision="1"' in html and "Revision 1" in html
    assert "This cannot be undone." in html
    assert re.search(rf'<a class="button" href="{BASE}/{meeting_id}#minutes">Cancel</a>', html)
    (form,) = _forms_posting_to(html, "/minutes/approve")
    assert 'method="post"' in form and 'name="csrf_token"' in form
    assert 'name="revision" value="1"' in form


def test_approval_goes_through_once_confirmed(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("coordinator")
    _save(client, meeting_id, "Minutes", 0)
    client.post(f"{BASE}/{meeting_id}/status", data={"action": "hold"})
    assert load(meeting_id).minutes.approved_at is None  # looking did not approve
    client.get(f"{BASE}/{meeting_id}/minutes/approve")
    assert load(meeting_id).minutes.approved_at is None
    response = client.post(f"{BASE}/{meeting_id}/minutes/approve", data={"revision": "1"})
    assert response.status_code == 302
    assert load(meeting_id).status == MeetingStatus.MINUTES_APPROVED
    # Approved already: the confirmation page sends back to the meeting.
    assert client.get(f"{BASE}/{meeting_id}/minutes/approve").status_code == 302


def test_minutes_changed_after_the_confirmation_was_shown_are_not_approved(
    client, team, login, make_meeting, load
):
    meeting_id = make_meeting()
    login("coordinator")
    _save(client, meeting_id, "First text", 0)
    client.post(f"{BASE}/{meeting_id}/status", data={"action": "hold"})
    client.get(f"{BASE}/{meeting_id}/minutes/approve")  # revision 1 shown
    _save(client, meeting_id, "Changed by someone else", load(meeting_id).minutes.version)
    response = client.post(f"{BASE}/{meeting_id}/minutes/approve", data={"revision": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{BASE}/{meeting_id}/minutes/approve")
    assert load(meeting_id).minutes.approved_at is None


def test_a_meeting_not_held_gets_the_hint_and_is_not_approved(
    client, team, login, make_meeting, load
):
    """Approval of minutes of a meeting not marked as held stays refused (as before): the step
    is still offered, with the hint and a way to mark the meeting held first."""
    meeting_id = make_meeting()
    login("coordinator")
    _save(client, meeting_id, "Draft minutes", 0)
    page = client.get(f"{BASE}/{meeting_id}").get_data(as_text=True)
    hint = "This meeting is not marked as held yet; mark it held first if it took place."
    assert hint in page and f'href="{BASE}/{meeting_id}/minutes/approve"' in page
    confirm = client.get(f"{BASE}/{meeting_id}/minutes/approve").get_data(as_text=True)
    assert hint in confirm
    assert not _forms_posting_to(confirm, "/minutes/approve")
    (hold,) = _forms_posting_to(confirm, "/status")
    assert 'name="action" value="hold"' in hold and 'name="next" value="approve"' in hold
    assert client.post(f"{BASE}/{meeting_id}/minutes/approve").status_code == 409
    assert load(meeting_id).minutes.approved_at is None

    # Marking it held from there leads back to the approval, which can now go ahead.
    response = client.post(
        f"{BASE}/{meeting_id}/status", data={"action": "hold", "next": "approve"}
    )
    assert response.headers["Location"].endswith(f"{BASE}/{meeting_id}/minutes/approve")
    confirm = client.get(f"{BASE}/{meeting_id}/minutes/approve").get_data(as_text=True)
    assert hint not in confirm and _forms_posting_to(confirm, "/minutes/approve")


@pytest.mark.parametrize("role", ["researcher", "committee", "observer"])
def test_who_may_not_approve_gets_no_confirmation(client, team, login, make_meeting, role):
    meeting_id = make_meeting()
    login("coordinator")
    _save(client, meeting_id, "Minutes", 0)
    client.post(f"{BASE}/{meeting_id}/status", data={"action": "hold"})
    client.post("/logout")
    login(role)
    assert client.get(f"{BASE}/{meeting_id}/minutes/approve").status_code == 403
    if role != "observer":
        page = client.get(f"{BASE}/{meeting_id}").get_data(as_text=True)
        assert "/minutes/approve" not in page


def test_the_approval_post_needs_its_csrf_token(tmp_path):
    app = fresh_app(tmp_path, demo=True, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "username": "coordinator",
            "password": "demo-password",
            "csrf_token": csrf_token_from(login_page),
        },
    )
    with app.app_context():
        from sqlalchemy import select

        from cbpar.db import db
        from cbpar.meetings.models import Meeting, Minutes

        meeting = db.session.scalar(
            select(Meeting)
            .join(Minutes)
            .where(Meeting.status == MeetingStatus.HELD, Minutes.approved_at.is_(None))
        )
        if meeting is None:
            pytest.skip("the demo has no held meeting with draft minutes")
        url = f"/projects/{meeting.project.slug}/meetings/{meeting.id}/minutes/approve"
    assert client.post(url).status_code == 400  # no token
    html = client.get(url).get_data(as_text=True)
    token = csrf_token_from(html)
    revision = re.search(r'name="revision" value="(\d+)"', html).group(1)
    response = client.post(url, data={"csrf_token": token, "revision": revision})
    assert response.status_code == 302
