"""Calendar output parsed back by the icalendar package, the private feed, the API, N+1."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import event

from cbpar.db import db
from cbpar.meetings import ical


def test_ical_helpers_fold_and_escape():
    assert ical.escape_text("a,b;c\\d\nnext") == "a\\,b\\;c\\\\d\\nnext"
    long = "DESCRIPTION:" + "双河村幼儿园" * 20
    folded = ical.fold(long)
    lines = folded.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "".join(line[1:] if i else line for i, line in enumerate(lines)) == long


def test_vtimezone_carries_daylight_saving_transitions():
    start = datetime(2030, 3, 1, tzinfo=ZoneInfo("UTC"))
    end = datetime(2030, 11, 30, tzinfo=ZoneInfo("UTC"))
    text = "\r\n".join(ical.vtimezone("Europe/Berlin", start, end))
    assert "BEGIN:DAYLIGHT" in text and "TZOFFSETTO:+0200" in text
    assert "DTSTART:20300331T020000" in text  # onset in the old (standard) offset
    assert "DTSTART:20301027T030000" in text


def test_meeting_ics_parses_back_with_the_local_time(client, team, login, make_meeting):
    meeting_id = make_meeting(
        "Committee, agenda: needs; budget",
        starts_at=datetime(2030, 5, 4, 14, 30),
        ends_at=datetime(2030, 5, 4, 16, 0),
        agenda="1. Needs, ranked\n2. Budget; teachers",
        place="Office, Shuanghe",
    )
    login("committee")
    response = client.get(f"/projects/p1/meetings/{meeting_id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    raw = response.get_data()
    assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    assert cal["VERSION"] == "2.0"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    [vevent] = cal.walk("VEVENT")
    start = vevent.decoded("DTSTART")
    assert start.utcoffset().total_seconds() == 8 * 3600
    assert (start.hour, start.minute) == (14, 30)
    assert vevent.decoded("DTEND").astimezone(ZoneInfo("UTC")).hour == 8
    assert str(vevent["SUMMARY"]) == "Committee, agenda: needs; budget"
    assert str(vevent["LOCATION"]) == "Office, Shuanghe"
    assert "Budget; teachers" in str(vevent["DESCRIPTION"])
    assert "\n2. Budget" in str(vevent["DESCRIPTION"])
    assert vevent["UID"] and vevent["DTSTAMP"]
    assert str(vevent["URL"]).endswith(f"/projects/p1/meetings/{meeting_id}")


def _feed_token(client):
    page = client.post("/projects/p1/meetings/calendar", data={"action": "create"})
    html = page.get_data(as_text=True)
    marker = '<code id="feed-url">'
    return html.split(marker)[1].split("</code>")[0]


def test_private_feed_works_without_log_in_and_can_be_revoked(
    app, client, team, login, make_meeting
):
    make_meeting("Feed meeting")
    login("field_worker")
    url = _feed_token(client)
    path = url.split("localhost", 1)[1]
    with app.test_client() as anonymous:
        response = anonymous.get(path)
        assert response.status_code == 200
        cal = icalendar.Calendar.from_ical(response.get_data())
        assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Feed meeting"]
        assert anonymous.get(path.replace(".ics", "x.ics")).status_code == 404

    # Regenerating makes the old address stop working.
    new_url = _feed_token(client)
    assert new_url != url
    with app.test_client() as anonymous:
        assert anonymous.get(path).status_code == 404
        new_path = new_url.split("localhost", 1)[1]
        assert anonymous.get(new_path).status_code == 200
    client.post("/projects/p1/meetings/calendar", data={"action": "revoke"})
    with app.test_client() as anonymous:
        assert anonymous.get(new_path).status_code == 404


def test_feed_of_an_observer_has_no_meetings(app, client, team, login, make_meeting):
    make_meeting("Secret meeting")
    login("observer")
    # Observers cannot reach the feed page, and a feed of theirs would list nothing.
    assert client.get("/projects/p1/meetings/calendar").status_code == 403
    with app.test_request_context():
        from cbpar.meetings import feeds

        assert feeds.feed_meetings(team["users"]["observer"]) == []
        assert len(feeds.feed_meetings(team["users"]["committee"])) == 1


def _api_token(app, user):
    with app.app_context():
        from cbpar.auth.services import create_api_token

        _token, raw = create_api_token(db.session.merge(user), "test")
        db.session.commit()
        return raw


def test_api_lists_meetings_with_offsets_counts_and_url(app, client, team, login, make_meeting):
    meeting_id = make_meeting("API meeting", starts_at=datetime(2030, 5, 4, 9, 0))
    login("coordinator")
    base = f"/projects/p1/meetings/{meeting_id}"
    client.post(f"{base}/guests", data={"role": "parent", "gender": "woman", "age_group": "18_35"})
    client.post(f"{base}/attendance", data={"present": [team["users"]["coordinator"].id]})
    client.post(f"{base}/decisions", data={"text": "Kindergarten first"})
    client.post(f"{base}/actions", data={"what": "Find a site", "assignee_name": "Director Zhao"})
    token = _api_token(app, team["users"]["committee"])
    with app.test_client() as script:
        response = script.get(
            "/api/v1/projects/p1/meetings", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        body = response.get_json()
    [item] = body["meetings"]
    assert item["starts_at"] == "2030-05-04T09:00:00+08:00"
    assert item["status"] == "planned"
    assert item["attendance"] == {
        "members": 1, "guests": 1, "total": 2, "villagers": 1, "women": 1, "young_people": 1,
    }  # fmt: skip
    assert item["decisions"][0]["text"] == "Kindergarten first"
    assert item["action_items"][0]["who"] == "Director Zhao"
    assert item["action_items"][0]["status"] == "open"
    assert item["url"].endswith(f"/projects/p1/meetings/{meeting_id}")
    assert item["minutes"] == "none"

    with app.test_client() as script:
        ics = script.get(
            "/api/v1/projects/p1/meetings.ics", headers={"Authorization": f"Bearer {token}"}
        )
        assert ics.status_code == 200
        assert len(icalendar.Calendar.from_ical(ics.get_data()).walk("VEVENT")) == 1
        assert (
            script.get(
                "/api/v1/projects/p1/meetings?status=nope",
                headers={"Authorization": f"Bearer {token}"},
            ).status_code
            == 400
        )
        assert script.get("/api/v1/projects/p1/meetings.ics").status_code == 401

    observer = _api_token(app, team["users"]["observer"])
    outsider = _api_token(app, team["outsider"])
    with app.test_client() as script:
        assert (
            script.get(
                "/api/v1/projects/p1/meetings", headers={"Authorization": f"Bearer {observer}"}
            ).status_code
            == 403
        )
        assert (
            script.get(
                "/api/v1/projects/p1/meetings", headers={"Authorization": f"Bearer {outsider}"}
            ).status_code
            == 404
        )


def _count_statements(app, fn):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]


def test_meetings_list_and_api_make_no_query_per_meeting(app, client, team, login, make_meeting):
    def add(n):
        for i in range(n):
            meeting_id = make_meeting(f"Meeting {i}")
            base = f"/projects/p1/meetings/{meeting_id}"
            client.post(f"{base}/guests", data={"role": "villager", "gender": "woman"})
            client.post(f"{base}/decisions", data={"text": f"Decision {i}"})
            client.post(
                f"{base}/actions", data={"what": "x", "assignee_id": team["users"]["researcher"].id}
            )

    login("coordinator")
    add(2)
    few_page = len(_count_statements(app, lambda: client.get("/projects/p1/meetings/")))
    few_api = len(_count_statements(app, lambda: client.get("/api/v1/projects/p1/meetings")))
    add(6)
    many_page = len(_count_statements(app, lambda: client.get("/projects/p1/meetings/")))
    many_api = len(_count_statements(app, lambda: client.get("/api/v1/projects/p1/meetings")))
    assert many_page == few_page
    assert many_api == few_api
