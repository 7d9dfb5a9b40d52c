"""Meetings through the API: plan, edit (version), attendance and minutes, as the pages do."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from tests.helpers import as_user, new_id

MEETING = {
    "kind": "community",
    "title": "Kindergarten planning",
    "starts_at": "2024-05-01T09:00",
    "ends_at": "2024-05-01T11:00",
    "place": "Village hall",
    "agenda": "1. Where\n2. When",
}
URL = "/api/v1/projects/p1/meetings"


def test_plan_read_and_edit_a_meeting(app, client, team):
    c = as_user(app, "researcher")
    made = c.post(URL, json=MEETING)
    assert made.status_code == 201
    meeting = made.get_json()
    assert meeting["starts_at"] == "2024-05-01T09:00:00+08:00"  # the project's time zone
    assert meeting["version"] == 1 and meeting["agenda"] == MEETING["agenda"]
    assert made.headers["Location"].endswith(f"/api/v1/meetings/{meeting['id']}")
    url = f"/api/v1/meetings/{meeting['id']}"
    assert c.get(url).get_json() == meeting
    put = c.put(url, json={"version": 1, "starts_at": "2024-05-01T02:00:00Z", "title": "Plan"})
    assert put.status_code == 200
    assert put.get_json()["starts_at"] == "2024-05-01T10:00:00+08:00"
    assert put.get_json()["title"] == "Plan" and put.get_json()["version"] == 2
    assert put.get_json()["place"] == "Village hall"  # not sent: kept
    listed = c.get(URL).get_json()
    assert listed["meetings"][0]["title"] == "Plan"
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "meeting_created" in actions and "meeting_updated" in actions


def test_a_stale_meeting_version_is_409(app, client, team):
    c = as_user(app, "coordinator")
    url = f"/api/v1/meetings/{c.post(URL, json=MEETING).get_json()['id']}"
    assert c.put(url, json={"version": 1, "title": "First"}).status_code == 200
    stale = c.put(url, json={"version": 1, "title": "Second"})
    assert stale.status_code == 409
    answer = stale.get_json()
    assert answer["current_version"] == 2 and answer["your_version"] == 1
    assert answer["current"]["title"] == "First"
    assert c.put(url, json={"title": "No version"}).get_json()["parameter"] == "version"


def test_the_meeting_forms_checks(app, client, team):
    c = as_user(app, "coordinator")
    cases = [
        ({"title": ""}, "title"),
        ({"kind": "party"}, "kind"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"ends_at": "2024-05-01T08:00"}, "ends_at"),
        ({"village_id": 99999}, "village_id"),
        ({"colour": "red"}, "colour"),
    ]
    for fields, parameter in cases:
        response = c.post(URL, json={**MEETING, **fields})
        assert response.status_code == 400, fields
        assert response.get_json()["parameter"] == parameter, fields
    assert c.get(URL).get_json()["count"] == 0


def test_who_may_plan_and_edit(app, client, team):
    meeting = as_user(app, "researcher").post(URL, json=MEETING).get_json()
    url = f"/api/v1/meetings/{meeting['id']}"
    committee = as_user(app, "committee")
    assert committee.post(URL, json=MEETING).status_code == 403
    assert committee.get(url).status_code == 200  # committee members read meetings
    assert committee.put(url, json={"version": 1, "title": "x"}).status_code == 403
    assert committee.put(url + "/minutes", json={"version": 0, "body": "x"}).status_code == 403
    observer = as_user(app, "observer")
    assert observer.get(url).status_code == 404
    assert as_user(app, "outsider").get(url).status_code == 404
    assert client.get(url).status_code == 401


def test_the_same_meeting_sent_twice_is_planned_once(app, client, team):
    c = as_user(app, "researcher")
    client_id = new_id()
    first = c.post(URL, json={**MEETING, "client_id": client_id})
    again = c.post(URL, json={**MEETING, "client_id": client_id, "title": "Changed"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert c.get(URL).get_json()["count"] == 1


def test_attendance_members_by_username_and_guests_by_category(app, client, team):
    c = as_user(app, "coordinator")
    meeting = c.post(URL, json=MEETING).get_json()
    url = f"/api/v1/meetings/{meeting['id']}/attendance"
    guests = [
        {"role": "grandparent_caregiver", "gender": "woman", "age_group": "60_plus", "count": 3},
        {"role": "teacher", "gender": "man", "name": "Teacher Li"},
    ]
    put = c.put(url, json={"members": ["coordinator", "Committee"], "guests": guests})
    assert put.status_code == 200
    answer = put.get_json()
    assert {m["username"] for m in answer["members"]} == {"coordinator", "committee"}
    assert answer["summary"] == {
        "members": 2,
        "guests": 4,
        "total": 6,
        "villagers": 3,
        "women": 3,
        "young_people": 0,
    }
    ids = {g["id"] for g in answer["guests"]}
    # Sending the same again changes nothing (guests keep their ids); members only: guests stay.
    assert {g["id"] for g in c.put(url, json={"guests": guests}).get_json()["guests"]} == ids
    fewer = c.put(url, json={"members": ["coordinator"]}).get_json()
    assert fewer["summary"]["members"] == 1 and fewer["summary"]["guests"] == 4
    assert c.get(f"/api/v1/meetings/{meeting['id']}").get_json()["attendance"]["total"] == 5
    bad = [
        ({"members": ["outsider"]}, "members"),
        ({"guests": [{"role": "king", "gender": "man"}]}, "role"),
        ({"guests": [{"role": "teacher", "gender": "man", "count": 0}]}, "count"),
        ({"guests": [{"role": "teacher", "gender": "man", "count": 2, "name": "Li"}]}, "name"),
        ({}, "members"),
    ]
    for sent, parameter in bad:
        response = c.put(url, json=sent)
        assert response.status_code == 400, sent
        assert response.get_json()["parameter"] == parameter, sent
    assert as_user(app, "committee").get(url).status_code == 403


def test_minutes_no_lost_edit_and_corrections_need_a_reason(app, client, team):
    c = as_user(app, "coordinator")
    meeting = c.post(URL, json=MEETING).get_json()
    url = f"/api/v1/meetings/{meeting['id']}/minutes"
    assert c.get(url).get_json()["version"] == 0
    saved = c.put(url, json={"version": 0, "body": "We agreed on **Monday**."})
    assert saved.status_code == 200
    minutes = saved.get_json()
    assert minutes["version"] == 1 and minutes["revision"] == 1
    assert "<strong>Monday</strong>" in minutes["html"]
    assert c.put(url, json={"version": 1, "body": "Second draft"}).status_code == 200
    stale = c.put(url, json={"version": 1, "body": "Lost?"})
    assert stale.status_code == 409
    assert stale.get_json()["current"]["body"] == "Second draft"
    assert stale.get_json()["current_version"] == 2
    assert c.put(url, json={"body": "x"}).get_json()["parameter"] == "version"
    # Approved on the page; a correction through the API then needs a reason.
    with app.app_context():
        from cbpar.meetings.models import Meeting, MeetingStatus, Minutes

        record = db.session.get(Meeting, meeting["id"])
        record.status = MeetingStatus.HELD
        from cbpar.db import utcnow

        stored = db.session.scalar(select(Minutes).where(Minutes.meeting_id == record.id))
        stored.approved_at = utcnow()
        db.session.commit()
        version = stored.version
    refused = c.put(url, json={"version": version, "body": "Corrected"})
    assert refused.status_code == 400 and refused.get_json()["parameter"] == "reason"
    fixed = c.put(url, json={"version": version, "body": "Corrected", "reason": "A typo"})
    assert fixed.status_code == 200 and fixed.get_json()["body"] == "Corrected"


def test_minutes_of_a_cancelled_meeting_are_refused(app, client, team):
    c = as_user(app, "coordinator")
    meeting = c.post(URL, json=MEETING).get_json()
    with app.app_context():
        from cbpar.meetings.models import Meeting, MeetingStatus

        db.session.get(Meeting, meeting["id"]).status = MeetingStatus.CANCELLED
        db.session.commit()
    url = f"/api/v1/meetings/{meeting['id']}/minutes"
    response = c.put(url, json={"version": 0, "body": "x"})
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
