"""Children and contacts through the API: field roles only, client ids, versions, the rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cbpar.care.models import Child, ContactLog
from cbpar.db import db
from tests.helpers import as_user, new_id, project_today

TODAY = project_today()  # the test project's day (Asia/Shanghai), not the machine's


def child_body(household_id, **fields):
    return {
        "household_id": household_id,
        "birth_year": TODAY.year - 5,
        "birth_month": 4,
        "sex": "boy",
        "school": "Shuanghe kindergarten",
        "grade": "Small class",
        "parents_away": "both",
        "caregiver": "grandparents",
        "consent_on": (TODAY - timedelta(days=1)).isoformat(),
        "consent_given_by": "grandfather (guardian)",
        **fields,
    }


def test_create_once_read_edit_and_list(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    client_id = new_id()
    made = c.post(
        "/api/v1/projects/p1/children", json=child_body(household.id, client_id=client_id)
    )
    assert made.status_code == 201
    child = made.get_json()
    assert child["code"] == f"{household.code}-1" and child["home_visits"] == "unknown"
    again = c.post(
        "/api/v1/projects/p1/children", json=child_body(household.id, client_id=client_id)
    )
    assert again.status_code == 200 and again.get_json()["id"] == child["id"]
    url = f"/api/v1/children/{child['id']}"
    assert c.get(url).get_json() == child
    put = c.put(url, json={"version": 1, "grade": "Middle class"})
    assert put.status_code == 200 and put.get_json()["grade"] == "Middle class"
    assert put.get_json()["school"] == "Shuanghe kindergarten"  # fields not sent are kept
    assert c.put(url, json={"version": 1, "grade": "Big class"}).status_code == 409
    listed = c.get("/api/v1/projects/p1/children").get_json()
    assert listed["total"] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 1


def test_the_same_rules_as_the_page(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    cases = [
        ({"consent_on": None}, "consent_on"),
        ({"birth_year": TODAY.year - 10}, "assent_on"),
        ({"sex": "other"}, "sex"),
        ({"household_id": 999999}, "household_id"),
        ({"household_id": "1"}, "household_id"),
        ({"nickname": "x"}, "nickname"),
    ]
    for fields, parameter in cases:
        body = {**child_body(household.id), **fields}
        response = c.post("/api/v1/projects/p1/children", json=body)
        assert response.status_code == 400, fields
        assert response.get_json()["parameter"] == parameter, fields
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 0


def test_contacts_once_per_client_id(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    child = c.post("/api/v1/projects/p1/children", json=child_body(household.id)).get_json()
    url = f"/api/v1/children/{child['id']}/contacts"
    body = {
        "client_id": new_id(),
        "kind": "video_call",
        "on": TODAY.isoformat(),
        "minutes": 12,
        "with": "mother",
        "summary": "Talked about school.",
        "follow_up_on": (TODAY + timedelta(days=7)).isoformat(),
    }
    assert c.post(url, json=body).status_code == 201
    assert c.post(url, json=body).status_code == 200
    bad = c.post(url, json={**body, "client_id": new_id(), "on": "2999-01-01"})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "on"
    contacts = c.get(url).get_json()["contacts"]
    assert len(contacts) == 1 and contacts[0]["with"] == "mother"
    with app.app_context():
        assert db.session.scalar(select(func.count(ContactLog.id))) == 1


def test_committee_and_observers_get_403(app, team, add_household):
    household = add_household(team["project"])
    made = as_user(app, "field_worker").post(
        "/api/v1/projects/p1/children", json=child_body(household.id)
    )
    child_id = made.get_json()["id"]
    for role in ("committee", "observer"):
        c = as_user(app, role)
        assert c.get("/api/v1/projects/p1/children").status_code == 403
        assert (
            c.post("/api/v1/projects/p1/children", json=child_body(household.id)).status_code == 403
        )
        assert c.get(f"/api/v1/children/{child_id}").status_code == 403
        assert c.post(f"/api/v1/children/{child_id}/contacts", json={}).status_code == 403
