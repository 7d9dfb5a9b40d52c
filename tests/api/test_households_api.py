"""Households and facilities through the API: the pages' form checks, versions, capabilities."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from tests.helpers import FACILITY, HOUSEHOLD, as_user


def create(c, url="/api/v1/projects/p1/households", **fields):
    return c.post(url, json={**(HOUSEHOLD if "households" in url else FACILITY), **fields})


def test_create_read_update_household_with_csv_field_names(app, client, team):
    c = as_user(app, "field_worker")
    made = create(c)
    assert made.status_code == 201
    household = made.get_json()
    assert household["code"] == "SH-001" and household["village"] == "Shuanghe"
    assert made.headers["Location"].endswith(f"/api/v1/households/{household['id']}")
    assert household["version"] == 1 and household["caregiver"] == "grandparents"
    got = c.get(f"/api/v1/households/{household['id']}").get_json()
    assert got == household
    put = c.put(f"/api/v1/households/{household['id']}", json={"version": 1, "members": 6})
    assert put.status_code == 200
    assert put.get_json()["members"] == 6 and put.get_json()["version"] == 2
    assert put.get_json()["notes"] == HOUSEHOLD["notes"]  # fields not sent are kept
    listed = c.get("/api/v1/projects/p1/households?per_page=1").get_json()
    assert listed["total"] == 1 and listed["households"][0]["members"] == 6
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "household_created" in actions and "household_updated" in actions


def test_a_stale_version_is_409_with_both_versions(app, client, team):
    c = as_user(app, "field_worker")
    household = create(c).get_json()
    url = f"/api/v1/households/{household['id']}"
    assert c.put(url, json={"version": 1, "members": 6}).status_code == 200
    stale = c.put(url, json={"version": 1, "members": 9})
    assert stale.status_code == 409
    answer = stale.get_json()
    assert answer["your_version"] == 1 and answer["current_version"] == 2
    assert answer["current"]["members"] == 6
    assert c.get(url).get_json()["members"] == 6
    missing = c.put(url, json={"members": 9})
    assert missing.status_code == 400 and missing.get_json()["parameter"] == "version"


def test_the_pages_checks_and_messages(app, client, team):
    c = as_user(app, "field_worker")
    cases = [
        ({"left_behind_children": 5}, "left_behind_children", "cannot be more than"),
        ({"members": 1, "children_6_17": 3}, "members", "at least one member"),
        ({"visited_on": "2999-01-01"}, "visited_on", "in the future"),
        ({"consent_on": None}, "consent_on", "Give the date consent was given"),
        ({"lat": 95}, "lat", "between -90 and 90"),
        ({"members": 100}, "members", "whole number"),  # None is "unknown"
        ({"caregiver": "neighbours"}, "caregiver", ""),
        ({"village": "Atlantis"}, "village", "no village"),
        ({"colour": "red"}, "colour", "not a field"),
    ]
    for fields, parameter, words in cases:
        response = create(c, **fields)
        assert response.status_code == 400, fields
        answer = response.get_json()
        assert answer["parameter"] == parameter, fields
        assert words in answer["message"], fields
    assert c.post("/api/v1/projects/p1/households", data="x").status_code == 400
    assert c.get("/api/v1/projects/p1/households").get_json()["total"] == 0


def test_who_may_read_and_write_households(app, client, team):
    household = create(as_user(app, "researcher")).get_json()
    url = f"/api/v1/households/{household['id']}"
    committee = as_user(app, "committee")
    assert create(committee).status_code == 403
    assert committee.get(url).status_code == 403
    assert committee.put(url, json={"version": 1, "members": 1}).status_code == 403
    points = committee.get("/api/v1/projects/p1/households").get_json()["households"]
    assert points == [{"village": "Shuanghe", "lat": 42.363, "lon": 119.8351}]
    observer = as_user(app, "observer")
    assert observer.get("/api/v1/projects/p1/households").status_code == 403
    assert create(observer).status_code == 403
    outsider = as_user(app, "outsider")
    assert outsider.get(url).status_code == 404
    assert outsider.get("/api/v1/projects/p1/households").status_code == 404
    assert create(outsider).status_code == 404
    assert client.get(url).status_code == 401


def test_facilities_create_update_and_capabilities(app, client, team):
    url = "/api/v1/projects/p1/facilities"
    c = as_user(app, "field_worker")
    made = create(c, url)
    assert made.status_code == 201
    facility = made.get_json()
    assert facility["village"] == "Shuanghe" and facility["status"] == "planned"
    item = f"/api/v1/facilities/{facility['id']}"
    put = c.put(item, json={"version": 1, "status": "operating", "village": None})
    assert put.status_code == 200
    assert put.get_json()["status"] == "operating" and put.get_json()["village"] is None
    stale = c.put(item, json={"version": 1, "capacity": 10})
    assert stale.status_code == 409 and stale.get_json()["current"]["capacity"] == 60
    bad = c.put(item, json={"version": 2, "kind": "castle"})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "kind"
    observer = as_user(app, "observer")
    assert observer.get(item).status_code == 200
    assert observer.get(url).get_json()["facilities"][0]["name"] == FACILITY["name"]
    assert create(observer, url).status_code == 403
    assert observer.put(item, json={"version": 2, "capacity": 1}).status_code == 403
    assert as_user(app, "committee").post(url, json=FACILITY).status_code == 403
    assert as_user(app, "outsider").get(item).status_code == 404


def test_a_field_number_taken_in_the_village_is_a_400_not_a_server_error(app, client, team):
    c = as_user(app, "field_worker")
    first = create(c, field_ref="HH-7")
    assert first.status_code == 201
    again = create(c, field_ref="hh-7")
    assert again.status_code == 400 and again.get_json()["parameter"] == "field_ref"
    assert "Another household of this village" in again.get_json()["message"]
    other = create(c, field_ref="HH-8").get_json()
    moved = c.put(f"/api/v1/households/{other['id']}", json={"version": 1, "field_ref": "HH-7"})
    assert moved.status_code == 400 and moved.get_json()["parameter"] == "field_ref"
