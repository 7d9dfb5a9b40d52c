"""Programmes, enrolments and sessions through the API: rules, client ids, capabilities."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cbpar.care.models import Enrolment, ProgrammeSession
from cbpar.db import db
from tests.api.test_children_api import child_body
from tests.helpers import as_user, new_id, project_today

TODAY = project_today()  # the test project's day (Asia/Shanghai), not the machine's


def setup_child(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    child = c.post("/api/v1/projects/p1/children", json=child_body(household.id)).get_json()
    return c, child


def test_programme_enrolment_and_session_once_each(app, team, add_household):
    c, child = setup_child(app, team, add_household)
    body = {
        "client_id": new_id(),
        "name": "4:30 classroom",
        "kind": "after_school",
        "schedule": "weekdays at 16:30",
        "contact_targets": [{"kind": "family_call", "every_days": 7}],
    }
    made = c.post("/api/v1/projects/p1/programmes", json=body)
    assert made.status_code == 201
    programme = made.get_json()
    assert programme["contact_targets"] == [{"kind": "family_call", "every_days": 7}]
    assert c.post("/api/v1/projects/p1/programmes", json=body).status_code == 200
    enrol = {"client_id": new_id(), "child_id": child["id"], "starts_on": TODAY.isoformat()}
    url = f"/api/v1/programmes/{programme['id']}/enrolments"
    assert c.post(url, json=enrol).status_code == 201
    assert c.post(url, json=enrol).status_code == 200
    twice = c.post(url, json={**enrol, "client_id": new_id()})
    assert twice.status_code == 400 and "already enrolled" in twice.get_json()["message"]
    session = {
        "client_id": new_id(),
        "starts_at": f"{TODAY.isoformat()}T16:30:00+08:00",
        "ends_at": f"{TODAY.isoformat()}T18:00:00+08:00",
        "topic": "Homework",
        "attendance": [{"child_id": child["id"], "status": "present"}],
    }
    url = f"/api/v1/programmes/{programme['id']}/sessions"
    first = c.post(url, json=session)
    assert first.status_code == 201
    assert first.get_json()["attendance"] == [{"child_id": child["id"], "status": "present"}]
    assert c.post(url, json=session).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(Enrolment.id))) == 1
        assert db.session.scalar(select(func.count(ProgrammeSession.id))) == 1


def test_bad_input_is_refused_and_saves_nothing(app, team, add_household):
    c, child = setup_child(app, team, add_household)
    programme = c.post(
        "/api/v1/projects/p1/programmes", json={"name": "Calls", "kind": "family_calls"}
    ).get_json()
    url = f"/api/v1/programmes/{programme['id']}/sessions"
    cases = [
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"attendance": [{"child_id": child["id"], "status": "asleep"}]}, "attendance"),
        ({"attendance": [{"child_id": child["id"], "status": "present"}]}, "attendance"),
        ({"guardians": -1}, "guardians"),
        ({"volunteers": [{"volunteer_id": 1}]}, "volunteers"),
    ]
    for fields, parameter in cases:
        body = {"starts_at": f"{TODAY.isoformat()}T09:00:00+08:00", **fields}
        response = c.post(url, json=body)
        assert response.status_code == 400, fields
        assert response.get_json()["parameter"] == parameter, fields
    bad_targets = c.post(
        "/api/v1/projects/p1/programmes",
        json={"name": "X", "kind": "casework", "contact_targets": [{"kind": "x", "every_days": 7}]},
    )
    assert bad_targets.status_code == 400
    late = (TODAY + timedelta(days=1)).isoformat()
    wrong = c.post(
        f"/api/v1/programmes/{programme['id']}/enrolments",
        json={"child_id": 999999, "starts_on": late},
    )
    assert wrong.status_code == 400 and wrong.get_json()["parameter"] == "child_id"
    with app.app_context():
        assert db.session.scalar(select(func.count(ProgrammeSession.id))) == 0


def test_committee_and_observers_get_403(app, team, add_household):
    c, child = setup_child(app, team, add_household)
    programme = c.post(
        "/api/v1/projects/p1/programmes", json={"name": "Calls", "kind": "family_calls"}
    ).get_json()
    for role in ("committee", "observer"):
        other = as_user(app, role)
        assert other.get("/api/v1/projects/p1/programmes").status_code == 403
        body = {"child_id": child["id"], "starts_on": TODAY.isoformat()}
        assert (
            other.post(f"/api/v1/programmes/{programme['id']}/enrolments", json=body).status_code
            == 403
        )


def test_volunteers_their_hours_at_a_session_and_their_diary(app, team, add_household):
    c, child = setup_child(app, team, add_household)
    volunteer = c.post(
        "/api/v1/projects/p1/volunteers",
        json={"client_id": new_id(), "display_name": "Aunt Wang", "kind": "volunteer_mother"},
    )
    assert volunteer.status_code == 201
    volunteer_id = volunteer.get_json()["id"]
    programme = c.post(
        "/api/v1/projects/p1/programmes", json={"name": "Calls", "kind": "family_calls"}
    ).get_json()
    session = c.post(
        f"/api/v1/programmes/{programme['id']}/sessions",
        json={
            "starts_at": f"{TODAY.isoformat()}T09:00:00+08:00",
            "volunteers": [{"volunteer_id": volunteer_id, "hours": 1.5}],
        },
    )
    assert session.status_code == 201
    assert session.get_json()["volunteers"] == [{"volunteer_id": volunteer_id, "hours": 1.5}]
    entry = {"client_id": new_id(), "on": TODAY.isoformat(), "services": 2, "hours": 1.5}
    url = f"/api/v1/volunteers/{volunteer_id}/diary"
    made = c.post(url, json={**entry, "reflection": "I learnt to listen."})
    assert made.status_code == 201 and made.get_json()["memo_id"] is not None
    assert c.post(url, json=entry).status_code == 200
    too_long = c.post(url, json={**entry, "client_id": new_id(), "hours": 30})
    assert too_long.status_code == 400 and too_long.get_json()["parameter"] == "hours"
    stranger = c.post(
        f"/api/v1/programmes/{programme['id']}/sessions",
        json={
            "starts_at": f"{TODAY.isoformat()}T09:00:00+08:00",
            "volunteers": [{"volunteer_id": 999999, "hours": 1}],
        },
    )
    assert stranger.status_code == 400 and stranger.get_json()["parameter"] == "volunteers"
    for role in ("committee", "observer"):
        assert as_user(app, role).get("/api/v1/projects/p1/volunteers").status_code == 403
