"""Interviews through the API keep the page's consent rules; needs can be proposed."""

from __future__ import annotations

from tests.helpers import HOUSEHOLD, INTERVIEW, as_user, new_id

URL = "/api/v1/projects/p1/interviews"


def test_record_read_and_update_an_interview(app, client, team):
    c = as_user(app, "field_worker")
    made = c.post(URL, json=INTERVIEW)
    assert made.status_code == 201
    interview = made.get_json()
    assert interview["notes"] == INTERVIEW["notes"] and interview["covers_notes"] is True
    item = f"/api/v1/interviews/{interview['id']}"
    put = c.put(item, json={"version": 1, "language": "Hakka"})
    assert put.status_code == 200 and put.get_json()["version"] == 2
    assert put.get_json()["notes"] == INTERVIEW["notes"]
    stale = c.put(item, json={"version": 1, "language": "Min"})
    assert stale.status_code == 409 and stale.get_json()["current"]["language"] == "Hakka"
    assert c.get(URL).get_json()["total"] == 1


def test_the_consent_rules_of_the_page(app, client, team):
    c = as_user(app, "field_worker")
    cases = [
        ({"covers_notes": False}, "notes", "covers written notes"),
        (
            {"involves_minor": True, "child_assent": "given"},
            "consent_given_by",
            "parent or guardian",
        ),
        (
            {"involves_minor": True, "consent_given_by": "guardian"},
            "child_assent",
            "child agreed",
        ),
        ({"child_assent": "given"}, "involves_minor", "child takes part"),
        ({"kind": "family"}, "household_code", "linked to a household"),
        ({"kind": "family", "household_code": "XX-404"}, "household_code", "No household"),
        ({"held_on": None}, "held_on", ""),
    ]
    for fields, parameter, words in cases:
        response = c.post(URL, json={**INTERVIEW, **fields})
        assert response.status_code == 400, fields
        errors = response.get_json()["errors"]
        assert parameter in errors and words in " ".join(errors[parameter]), fields
    minor = {"involves_minor": True, "consent_given_by": "guardian", "child_assent": "given"}
    assert c.post(URL, json={**INTERVIEW, **minor}).status_code == 201
    household = c.post("/api/v1/projects/p1/households", json=HOUSEHOLD).get_json()
    family = c.post(URL, json={**INTERVIEW, "kind": "family", "household_code": "sh-001"})
    assert family.status_code == 201 and family.get_json()["household_code"] == household["code"]
    # An edit is checked the same way: taking consent for notes away keeps the notes out.
    item = f"/api/v1/interviews/{family.get_json()['id']}"
    refused = c.put(item, json={"version": 1, "covers_notes": False})
    assert refused.status_code == 400 and refused.get_json()["parameter"] == "notes"


def test_withdrawn_consent_hides_the_content_and_stops_edits(app, client, team):
    c = as_user(app, "field_worker")
    interview = c.post(URL, json=INTERVIEW).get_json()
    item = f"/api/v1/interviews/{interview['id']}"
    withdrawn = c.post(f"{item}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn"] is True
    for answer in (withdrawn.get_json(), as_user(app, "coordinator").get(item).get_json()):
        assert "notes" not in answer and "interviewee_role" not in answer
    listed = c.get(URL).get_json()["interviews"]
    assert "notes" not in listed[0]
    edit = c.put(item, json={"version": withdrawn.get_json()["version"], "notes": "again"})
    assert edit.status_code == 409


def test_only_the_field_team_reaches_interviews(app, client, team):
    interview = as_user(app, "researcher").post(URL, json=INTERVIEW).get_json()
    item = f"/api/v1/interviews/{interview['id']}"
    for role in ("committee", "observer"):
        c = as_user(app, role)
        assert c.post(URL, json=INTERVIEW).status_code == 403
        assert c.get(URL).status_code == 403
        assert c.get(item).status_code == 404
        assert c.post(f"{item}/withdraw").status_code == 404
    assert as_user(app, "outsider").get(item).status_code == 404


def test_committee_members_propose_needs_once_per_client_id(app, client, team):
    c = as_user(app, "committee")
    client_id = new_id()
    body = {"title": "A kindergarten", "category": "childcare", "client_id": client_id}
    first = c.post("/api/v1/projects/p1/needs", json=body)
    assert first.status_code == 201
    need = first.get_json()
    assert need["status"] == "proposed" and need["category"] == "childcare"
    again = c.post("/api/v1/projects/p1/needs", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == need["id"]
    assert c.get("/api/v1/projects/p1/needs").get_json()["count"] == 1
    untitled = c.post("/api/v1/projects/p1/needs", json={"category": "health"})
    assert untitled.status_code == 400 and untitled.get_json()["parameter"] == "title"
    bad = c.post("/api/v1/projects/p1/needs", json={"title": "x", "category": "magic"})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "category"
    village = c.post("/api/v1/projects/p1/needs", json={"title": "x", "village_ids": [999]})
    assert village.status_code == 400 and village.get_json()["parameter"] == "village_ids"
    assert (
        as_user(app, "observer").post("/api/v1/projects/p1/needs", json={"title": "x"}).status_code
        == 403
    )
