"""Minutes: revisions and diffs, the no-lost-edit rule, approval, the lock and corrections."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.meetings.models import MeetingSettings, MeetingStatus, RevisionKind


def _save(client, meeting_id, body, version, reason=None):
    data = {"body": body, "version": str(version)}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/projects/p1/meetings/{meeting_id}/minutes", data=data)


def _hold(client, meeting_id):
    assert (
        client.post(
            f"/projects/p1/meetings/{meeting_id}/status", data={"action": "hold"}
        ).status_code
        == 302
    )


def test_each_save_is_a_revision_and_the_diff_shows_changes(
    client, team, login, make_meeting, load
):
    meeting_id = make_meeting()
    login("researcher")
    form = client.get(f"/projects/p1/meetings/{meeting_id}/minutes").get_data(as_text=True)
    assert 'name="version" type="hidden" value="0"' in form
    assert _save(client, meeting_id, "Line one\nLine two", 0).status_code == 302
    minutes = load(meeting_id).minutes
    assert _save(client, meeting_id, "Line one\nLine 2 changed", minutes.version).status_code == 302
    minutes = load(meeting_id).minutes
    assert [r.number for r in minutes.revisions] == [1, 2]
    assert minutes.revisions[0].body == "Line one\nLine two"
    assert minutes.body == "Line one\nLine 2 changed"

    diff = client.get(f"/projects/p1/meetings/{meeting_id}/minutes/revisions?old=1&new=2")
    html = diff.get_data(as_text=True)
    assert diff.status_code == 200
    assert '<tr class="diff-removed">' in html and "Line two" in html
    assert '<tr class="diff-added">' in html and "Line 2 changed" in html

    # Saving the same text again makes no new revision.
    _save(client, meeting_id, "Line one\nLine 2 changed", minutes.version)
    assert len(load(meeting_id).minutes.revisions) == 2


def test_minutes_are_sanitized(client, team, login, make_meeting):
    meeting_id = make_meeting()
    login("researcher")
    _save(client, meeting_id, "**ok** <script>alert(1)</script> [x](javascript:alert(2))", 0)
    page = client.get(f"/projects/p1/meetings/{meeting_id}").get_data(as_text=True)
    assert "<strong>ok</strong>" in page
    assert "<script>alert(1)" not in page
    assert "javascript:alert" not in page


def test_a_stale_save_is_refused_with_both_versions(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("researcher")
    _save(client, meeting_id, "First draft", 0)
    version = load(meeting_id).minutes.version
    # Someone else saves from the same version first...
    assert _save(client, meeting_id, "Their edit", version).status_code == 302
    # ...so this save, based on the older version, is refused and shows both texts.
    response = _save(client, meeting_id, "My edit", version)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Their edit" in html and "My edit" in html
    assert load(meeting_id).minutes.body == "Their edit"
    # The form now carries the stored version: saving again replaces, knowingly.
    new_version = load(meeting_id).minutes.version
    assert f'name="version" type="hidden" value="{new_version}"' in html
    assert _save(client, meeting_id, "My edit", new_version).status_code == 302
    assert load(meeting_id).minutes.body == "My edit"


def test_a_first_save_racing_another_first_save_conflicts(client, team, login, make_meeting):
    meeting_id = make_meeting()
    login("researcher")
    assert _save(client, meeting_id, "Theirs", 0).status_code == 302
    assert _save(client, meeting_id, "Mine", 0).status_code == 409


def test_cannot_approve_minutes_of_a_meeting_not_held(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("coordinator")
    approve = f"/projects/p1/meetings/{meeting_id}/minutes/approve"
    assert client.post(approve).status_code == 409  # no minutes, not held
    _save(client, meeting_id, "Draft", 0)
    assert client.post(approve).status_code == 409  # minutes, but not held
    assert load(meeting_id).minutes.approved_at is None
    _hold(client, meeting_id)
    assert client.post(approve).status_code == 302
    meeting = load(meeting_id)
    assert meeting.status == MeetingStatus.MINUTES_APPROVED
    assert meeting.minutes.approved_at is not None
    assert meeting.minutes.revisions[-1].kind == RevisionKind.APPROVAL
    assert client.post(approve).status_code == 409  # already approved
    # A meeting with approved minutes cannot go back to planned or be cancelled.
    status = f"/projects/p1/meetings/{meeting_id}/status"
    assert client.post(status, data={"action": "reopen"}).status_code == 409
    assert client.post(status, data={"action": "cancel"}).status_code == 409


def test_only_the_coordinator_approves_by_default(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("researcher")
    _save(client, meeting_id, "Draft", 0)
    _hold(client, meeting_id)
    assert client.post(f"/projects/p1/meetings/{meeting_id}/minutes/approve").status_code == 403
    assert load(meeting_id).minutes.approved_at is None


def test_approved_minutes_change_only_with_a_reason(app, client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("coordinator")
    _save(client, meeting_id, "Agreed: kindergarten first.", 0)
    _hold(client, meeting_id)
    client.post(f"/projects/p1/meetings/{meeting_id}/minutes/approve")
    version = load(meeting_id).minutes.version

    response = _save(client, meeting_id, "Agreed: library first.", version, reason="")
    assert response.status_code == 422
    assert "Give a reason" in response.get_data(as_text=True)
    assert load(meeting_id).minutes.body == "Agreed: kindergarten first."

    reason = "Typo: the vote was for the kindergarten, the library came second."
    response = _save(
        client, meeting_id, "Agreed: kindergarten first; library second.", version, reason
    )
    assert response.status_code == 302
    minutes = load(meeting_id).minutes
    assert minutes.approved_at is not None  # still approved, still locked
    last = minutes.revisions[-1]
    assert last.kind == RevisionKind.CORRECTION and last.reason == reason
    assert [r.kind for r in minutes.revisions] == [
        RevisionKind.DRAFT, RevisionKind.APPROVAL, RevisionKind.CORRECTION,
    ]  # fmt: skip
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "minutes_corrected")
        )
        assert event is not None and event.details["reason"] == reason
    history = client.get(f"/projects/p1/meetings/{meeting_id}/minutes/revisions")
    assert reason in history.get_data(as_text=True)


@pytest.fixture
def attendees_mode(app, team):
    with app.app_context():
        db.session.add(MeetingSettings(project_id=team["project"].id, approval="attendees"))
        db.session.commit()


def test_attendees_approve_when_the_setting_says_so(
    client, app, team, login, make_meeting, load, attendees_mode
):
    meeting_id = make_meeting()
    users = team["users"]
    login("researcher")
    base = f"/projects/p1/meetings/{meeting_id}"
    client.post(
        f"{base}/attendance", data={"present": [users["researcher"].id, users["committee"].id]}
    )
    _save(client, meeting_id, "We agreed.", 0)
    _hold(client, meeting_id)
    assert client.post(f"{base}/minutes/approve").status_code == 302
    assert load(meeting_id).minutes.approved_at is None  # the committee member has not yet

    with app.test_client() as other:
        login("coordinator", c=other)  # not an attendee: may not approve
        assert other.post(f"{base}/minutes/approve").status_code == 403
    with app.test_client() as committee:
        login("committee", c=committee)
        page = committee.get(base).get_data(as_text=True)
        assert "Approve the minutes" in page
        assert committee.post(f"{base}/minutes/approve").status_code == 302
    meeting = load(meeting_id)
    assert meeting.minutes.approved_at is not None
    assert meeting.status == MeetingStatus.MINUTES_APPROVED


def test_settings_page_sets_the_approval_mode(app, client, team, login):
    login("coordinator")
    assert (
        client.post("/projects/p1/meetings/settings", data={"approval": "attendees"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(MeetingSettings, team["project"].id).approval == "attendees"
    with app.test_client() as researcher:
        login("researcher", c=researcher)
        assert researcher.get("/projects/p1/meetings/settings").status_code == 403
