"""Who may do what with meetings: writers write, readers read, observers and outsiders see none."""

from __future__ import annotations

import re

import pytest

WRITERS = {"coordinator", "researcher"}
READERS = WRITERS | {"field_worker", "committee"}
ROLES = ["coordinator", "researcher", "field_worker", "committee", "observer", "outsider"]


def _expected_read(role):
    return 200 if role in READERS else (404 if role == "outsider" else 403)


def _expected_write(role, ok):
    return ok if role in WRITERS else (404 if role == "outsider" else 403)


@pytest.mark.parametrize("role", ROLES)
def test_read_pages(client, team, login, make_meeting, role):
    meeting_id = make_meeting(agenda="Secret agenda")
    login(role)
    base = f"/projects/p1/meetings/{meeting_id}"
    for url in [
        "/projects/p1/meetings/",
        base,
        f"{base}/print/agenda",
        "/projects/p1/decisions",
        "/projects/p1/action-items",
        "/projects/p1/meetings/calendar",
    ]:
        response = client.get(url)
        assert response.status_code == _expected_read(role), url
        if response.status_code != 200:
            assert "Secret agenda" not in response.get_data(as_text=True)
    assert client.get(f"{base}.ics").status_code == _expected_read(role)


@pytest.mark.parametrize("role", ROLES)
def test_write_actions(client, team, login, make_meeting, load, role):
    meeting_id = make_meeting()
    login(role)
    base = f"/projects/p1/meetings/{meeting_id}"
    new = {"kind": "community", "title": "T", "starts_at": "2030-01-01T10:00"}
    assert client.post("/projects/p1/meetings/new", data=new).status_code == _expected_write(
        role, 302
    )
    assert client.get(f"{base}/edit").status_code == _expected_write(role, 200)
    assert client.get(f"{base}/attendance").status_code == _expected_write(role, 200)
    response = client.post(f"{base}/minutes", data={"body": "By " + role, "version": "0"})
    assert response.status_code == _expected_write(role, 302)
    response = client.post(f"{base}/decisions", data={"text": "D"})
    assert response.status_code == _expected_write(role, 302)
    response = client.post(f"{base}/status", data={"action": "hold"})
    assert response.status_code == _expected_write(role, 302)
    meeting = load(meeting_id)
    if role in WRITERS:
        assert meeting.minutes is not None and meeting.status == "held"
    else:
        assert meeting.minutes is None and meeting.decisions == [] and meeting.status == "planned"


def test_committee_reads_minutes_but_sees_no_write_buttons(app, client, team, login, make_meeting):
    meeting_id = make_meeting()
    login("researcher")
    client.post(
        f"/projects/p1/meetings/{meeting_id}/minutes", data={"body": "Minutes text", "version": "0"}
    )
    with app.test_client() as committee:
        login("committee", c=committee)
        page = committee.get(f"/projects/p1/meetings/{meeting_id}").get_data(as_text=True)
        assert "Minutes text" in page
        assert "Write minutes" not in page and "Edit minutes" not in page
        assert "Record attendance" not in page and "Mark as held" not in page


@pytest.mark.parametrize("what", ["agenda", "signin", "minutes"])
def test_print_pages_render(client, team, login, make_meeting, what):
    meeting_id = make_meeting("Printed meeting", agenda="1. **Needs**")
    login("coordinator")
    client.post(
        f"/projects/p1/meetings/{meeting_id}/minutes", data={"body": "Minute *one*", "version": "0"}
    )
    response = client.get(f"/projects/p1/meetings/{meeting_id}/print/{what}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The stylesheet's name may carry a content hash (css/meetings.<hash>.css).
    assert "Printed meeting" in html and re.search(r"css/meetings\.(\w+\.)?css", html)
    if what == "agenda":
        assert "<strong>Needs</strong>" in html
    if what == "signin":
        assert html.count('<tr class="blank">') >= 10 and "Grandparent caregiver" in html
    if what == "minutes":
        assert "<em>one</em>" in html and "Draft: not yet approved." in html
    assert client.get(f"/projects/p1/meetings/{meeting_id}/print/other").status_code == 404


def test_print_page_follows_the_users_language(app, client, team, login, make_meeting):
    meeting_id = make_meeting()
    login("coordinator")
    client.post("/language", data={"locale": "zh_Hans", "next": "/"})
    html = client.get(f"/projects/p1/meetings/{meeting_id}/print/signin").get_data(as_text=True)
    assert 'lang="zh-Hans"' in html


def test_committee_members_comment_on_meetings_observers_cannot(
    app, client, team, login, make_meeting
):
    meeting_id = make_meeting()
    login("committee")
    page = client.get(f"/projects/p1/meetings/{meeting_id}").get_data(as_text=True)
    assert "Add a comment" in page
    response = client.post(
        f"/projects/p1/comments/meeting/{meeting_id}", data={"body": "Please add the school head."}
    )
    assert response.status_code == 303
    page = client.get(f"/projects/p1/meetings/{meeting_id}").get_data(as_text=True)
    assert "Please add the school head." in page
    with app.test_client() as observer:
        login("observer", c=observer)
        response = observer.post(f"/projects/p1/comments/meeting/{meeting_id}", data={"body": "x"})
        assert response.status_code in (403, 404)
