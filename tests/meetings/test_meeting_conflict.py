"""Editing a meeting without lost updates: a save from an older version is refused (409)."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db


def _edit_form(load, meeting_id: int, **changes: str) -> dict[str, str]:
    """The edit form as loaded now: every field, and the meeting's current version."""
    meeting = load(meeting_id)
    return {
        "kind": meeting.kind.value,
        "title": meeting.title,
        "starts_at": "2030-05-04T14:30",
        "ends_at": "",
        "place": meeting.place,
        "village_id": "",
        "agenda": meeting.agenda,
        "version": str(meeting.version),
        **changes,
    }


def test_the_edit_page_carries_the_version(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("coordinator")
    page = client.get(f"/projects/p1/meetings/{meeting_id}/edit").get_data(as_text=True)
    assert f'name="version" type="hidden" value="{load(meeting_id).version}"' in page


def test_the_second_of_two_edits_from_the_same_version_is_refused(
    client, team, login, make_meeting, load
):
    meeting_id = make_meeting(agenda="1. Memos")
    login("coordinator")
    url = f"/projects/p1/meetings/{meeting_id}/edit"
    first = _edit_form(load, meeting_id, agenda="1. Memos\n2. Budget")
    second = {**first, "agenda": "1. Memos\n2. School visit plan", "title": "Renamed"}

    assert client.post(url, data=first).status_code == 302
    response = client.post(url, data=second)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this record while you were editing it" in page
    assert "2. School visit plan" in page  # what they typed is still in the form
    assert "Renamed" in page
    assert "2. Budget" in page  # next to what is stored now
    meeting = load(meeting_id)
    assert meeting.agenda == "1. Memos\n2. Budget"
    assert meeting.title == "Group meeting"
    assert 'scope="row">Agenda<' in page and 'scope="row">Title<' in page
    # Unchanged start time is not reported as a difference (local vs stored UTC).
    assert page.count('scope="row">Starts<') == 0
    assert f'name="version" type="hidden" value="{meeting.version}"' in page


def test_a_status_change_after_loading_the_form_is_a_conflict(
    client, team, login, make_meeting, load
):
    meeting_id = make_meeting()
    login("coordinator")
    form = _edit_form(load, meeting_id, title="Too late")
    status = client.post(f"/projects/p1/meetings/{meeting_id}/status", data={"action": "hold"})
    assert status.status_code == 302
    response = client.post(f"/projects/p1/meetings/{meeting_id}/edit", data=form)
    assert response.status_code == 409
    assert load(meeting_id).title == "Group meeting"


def test_saving_again_after_the_conflict_overwrites_knowingly(
    app, client, team, login, make_meeting, load
):
    meeting_id = make_meeting(agenda="1. Memos")
    login("coordinator")
    url = f"/projects/p1/meetings/{meeting_id}/edit"
    first = _edit_form(load, meeting_id, agenda="1. Memos\n2. Budget")
    second = {**first, "agenda": "1. Memos\n2. School visit plan"}
    assert client.post(url, data=first).status_code == 302
    assert client.post(url, data=second).status_code == 409

    again = {**second, "version": str(load(meeting_id).version)}
    assert client.post(url, data=again).status_code == 302
    assert load(meeting_id).agenda == "1. Memos\n2. School visit plan"
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "meeting_updated")
        ).all()
    assert len(events) == 2


def test_a_missing_or_broken_version_is_a_bad_request(client, team, login, make_meeting, load):
    meeting_id = make_meeting(agenda="1. Memos")
    login("coordinator")
    url = f"/projects/p1/meetings/{meeting_id}/edit"
    form = _edit_form(load, meeting_id, agenda="1. Changed")
    del form["version"]
    assert client.post(url, data=form).status_code == 400
    assert client.post(url, data={**form, "version": "x"}).status_code == 400
    assert load(meeting_id).agenda == "1. Memos"


def test_status_buttons_need_no_version(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("coordinator")
    before = load(meeting_id).version
    url = f"/projects/p1/meetings/{meeting_id}/status"
    assert client.post(url, data={"action": "cancel"}).status_code == 302
    assert client.post(url, data={"action": "reopen"}).status_code == 302
    meeting = load(meeting_id)
    assert meeting.version == before + 2
