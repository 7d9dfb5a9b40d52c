"""Planning meetings, the status flow, and attendance with its participation figures."""

from __future__ import annotations

from datetime import UTC, datetime

from cbpar.meetings.models import MeetingStatus


def test_plan_a_meeting_in_the_project_time_zone(client, team, login, load):
    login("researcher")
    response = client.post(
        "/projects/p1/meetings/new",
        data={
            "kind": "community",
            "title": "Needs meeting, Shuanghe",
            "starts_at": "2030-03-01T09:00",
            "ends_at": "2030-03-01T11:30",
            "place": "School hall",
            "village_id": "",
            "agenda": "1. Confirm needs",
        },
    )
    assert response.status_code == 302
    meeting_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    meeting = load(meeting_id)
    # Asia/Shanghai is UTC+8: 09:00 local is 01:00 UTC.
    assert meeting.starts_at == datetime(2030, 3, 1, 1, 0, tzinfo=UTC)
    assert meeting.status == MeetingStatus.PLANNED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2030-03-01 09:00" in page
    assert "Needs meeting, Shuanghe" in page


def test_end_before_start_is_refused(client, team, login):
    login("coordinator")
    response = client.post(
        "/projects/p1/meetings/new",
        data={
            "kind": "community",
            "title": "Backwards",
            "starts_at": "2030-03-01T09:00",
            "ends_at": "2030-03-01T08:00",
        },
    )
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)


def test_status_flow(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    login("coordinator")
    url = f"/projects/p1/meetings/{meeting_id}/status"
    # Cannot re-plan a planned meeting.
    assert client.post(url, data={"action": "reopen"}).status_code == 409
    assert client.post(url, data={"action": "hold"}).status_code == 302
    assert load(meeting_id).status == MeetingStatus.HELD
    # A held meeting cannot be cancelled, nor held twice.
    assert client.post(url, data={"action": "cancel"}).status_code == 409
    assert client.post(url, data={"action": "hold"}).status_code == 409
    assert client.post(url, data={"action": "reopen"}).status_code == 302
    assert client.post(url, data={"action": "cancel"}).status_code == 302
    assert load(meeting_id).status == MeetingStatus.CANCELLED
    # A cancelled meeting cannot be held; no minutes for it either.
    assert client.post(url, data={"action": "hold"}).status_code == 409
    assert client.post(url, data={"action": "bogus"}).status_code == 409
    assert load(meeting_id).status == MeetingStatus.CANCELLED
    response = client.post(
        f"/projects/p1/meetings/{meeting_id}/minutes", data={"body": "x", "version": "0"}
    )
    assert response.status_code == 302
    assert load(meeting_id).minutes is None


def test_attendance_and_participation(client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    users = team["users"]
    login("coordinator")
    base = f"/projects/p1/meetings/{meeting_id}"
    present = [users[r].id for r in ("coordinator", "committee")] + [team["outsider"].id]
    assert client.post(f"{base}/attendance", data={"present": present}).status_code == 302
    guests = [
        {"name": "Li", "role": "grandparent_caregiver", "gender": "woman", "age_group": "60_plus"},
        {"name": "", "role": "parent", "gender": "woman", "age_group": "18_35"},
        {"name": "Teacher Wang", "role": "teacher", "gender": "man", "age_group": "36_59"},
        {"name": "", "role": "villager", "gender": "other", "age_group": "under_18"},
    ]
    for guest in guests:
        assert client.post(f"{base}/guests", data=guest).status_code == 302
    meeting = load(meeting_id)
    # The outsider is not a member, so is not recorded as present.
    assert {a.user_id for a in meeting.attendances} == set(present[:2])
    assert len(meeting.guests) == 4

    page = client.get(base).get_data(as_text=True)
    for figure, value in {
        "total": 6, "members": 2, "guests": 4, "villagers": 3, "women": 2, "young": 2,
    }.items():  # fmt: skip
        assert f'data-figure="{figure}">{value}<' in page, figure

    # Unticking a member removes them; a bad guest is refused with 422.
    client.post(f"{base}/attendance", data={"present": [users["committee"].id]})
    assert {a.user_id for a in load(meeting_id).attendances} == {users["committee"].id}
    bad = client.post(f"{base}/guests", data={"role": "mayor", "gender": "woman"})
    assert bad.status_code == 422
    assert len(load(meeting_id).guests) == 4

    guest_id = load(meeting_id).guests[0].id
    assert client.post(f"{base}/guests/{guest_id}/delete").status_code == 302
    assert len(load(meeting_id).guests) == 3


def test_project_participation_counts_only_held_meetings(client, team, login, make_meeting):
    held = make_meeting("Held")
    planned = make_meeting("Planned")
    login("coordinator")
    for meeting_id in (held, planned):
        client.post(
            f"/projects/p1/meetings/{meeting_id}/guests",
            data={"role": "villager", "gender": "woman", "age_group": "18_35"},
        )
    client.post(f"/projects/p1/meetings/{held}/status", data={"action": "hold"})
    page = client.get("/projects/p1/meetings/").get_data(as_text=True)
    summary = page.split('id="participation-h"')[1]
    assert 'data-figure="guests">1<' in summary
    assert 'data-figure="women">1<' in summary
