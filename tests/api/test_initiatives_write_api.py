"""Initiatives through the API: create, edit (version), contributions and milestones."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from tests.helpers import as_user, new_id

INITIATIVE = {
    "title": "A kindergarten for Shuanghe",
    "description": "Half-day care for children under 6.",
    "status": "planning",
    "lead_username": "researcher",
    "roles": [{"party": "village committee", "task": "hire a teacher"}],
    "budget_target": "12000.50",
    "currency": "CNY",
    "starts_on": "2024-03-01",
    "ends_on": "2024-09-01",
}
URL = "/api/v1/projects/p1/initiatives"


def add_funder(app, name="Rural Education Foundation", type_="foundation"):
    from cbpar.initiatives import funding
    from cbpar.initiatives.models import FunderType
    from cbpar.projects.models import Project

    with app.test_request_context():
        project = db.session.scalar(select(Project).where(Project.slug == "p1"))
        funder = funding.create_funder(project, name, FunderType(type_))
        db.session.commit()
        return funder.id


def test_create_read_and_edit_an_initiative(app, client, team):
    c = as_user(app, "coordinator")
    made = c.post(URL, json=INITIATIVE)
    assert made.status_code == 201
    initiative = made.get_json()
    assert initiative["budget_target"] == "12000.50" and initiative["version"] == 1
    assert initiative["roles"] == [{"party": "village committee", "task": "hire a teacher"}]
    assert initiative["lead"] == "researcher"
    url = f"/api/v1/initiatives/{initiative['id']}"
    assert made.headers["Location"].endswith(url)
    assert c.get(url).get_json() == initiative
    put = c.put(url, json={"version": 1, "status": "fundraising", "spent": 300})
    assert put.status_code == 200
    changed = put.get_json()
    assert changed["status"] == "fundraising" and changed["spent"] == "300.00"
    assert changed["roles"] == initiative["roles"]  # not sent: kept
    assert changed["version"] == 2
    stale = c.put(url, json={"version": 1, "title": "Old"})
    assert stale.status_code == 409
    assert stale.get_json()["current"]["status"] == "fundraising"
    assert c.get(URL).get_json()["initiatives"][0]["title"] == INITIATIVE["title"]
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "initiative_created" in actions and "initiative_updated" in actions


def test_the_initiative_forms_checks(app, client, team):
    c = as_user(app, "coordinator")
    cases = [
        ({"title": ""}, "title"),
        ({"status": "dreaming"}, "status"),
        ({"currency": "XX"}, "currency"),
        ({"budget_target": "12,000.555"}, "budget_target"),
        ({"ends_on": "2024-01-01"}, "ends_on"),
        ({"lead_username": "outsider"}, "lead_username"),
        ({"lead_organisation": "An NGO"}, "lead_organisation"),  # a member and an organisation
        ({"roles": [{"party": "x"}]}, "roles"),
        ({"need_ids": [424242]}, "need_ids"),
        ({"colour": "red"}, "colour"),
    ]
    for fields, parameter in cases:
        response = c.post(URL, json={**INITIATIVE, **fields})
        assert response.status_code == 400, fields
        assert response.get_json()["parameter"] == parameter, fields
    assert c.get(URL).get_json()["initiatives"] == []


def test_who_may_write_initiatives(app, client, team):
    initiative = as_user(app, "researcher").post(URL, json=INITIATIVE).get_json()
    url = f"/api/v1/initiatives/{initiative['id']}"
    for role in ("field_worker", "committee", "observer"):
        c = as_user(app, role)
        assert c.post(URL, json=INITIATIVE).status_code == 403, role
        assert c.get(url).status_code == 200, role
        assert c.put(url, json={"version": 1, "title": "x"}).status_code == 403, role
        assert c.post(url + "/milestones", json={"title": "x"}).status_code == 403, role
    assert as_user(app, "outsider").get(url).status_code == 404
    assert client.post(url + "/contributions", json={}).status_code == 401


def test_contributions_and_milestones_once_per_client_id(app, client, team):
    funder_id = add_funder(app)
    add_funder(app, "Mr Wang", "individual")
    c = as_user(app, "coordinator")
    initiative = c.post(URL, json=INITIATIVE).get_json()
    url = f"/api/v1/initiatives/{initiative['id']}"
    cash = {"funder_id": funder_id, "kind": "cash", "status": "pledged", "amount": "5000"}
    client_id = new_id()
    first = c.post(url + "/contributions", json={**cash, "client_id": client_id})
    again = c.post(url + "/contributions", json={**cash, "client_id": client_id})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert first.get_json()["amount"] == "5000.00"
    gift = {"funder": "Mr Wang", "kind": "in_kind", "status": "received", "items": "desks"}
    desks = c.post(url + "/contributions", json={**gift, "received_on": "2024-04-01"})
    assert desks.status_code == 201 and desks.get_json()["funder"] == "Mr Wang"
    observer = as_user(app, "observer").get(url).get_json()
    assert {x["funder"] for x in observer["contributions"]} == {
        "Rural Education Foundation",
        "Individual donor",
    }
    bad = [
        ({**cash, "amount": None}, "amount"),
        ({**cash, "received_on": "2024-01-01"}, "received_on"),
        ({**gift, "funder": "Nobody"}, "funder"),
        ({**gift, "items": ""}, "items"),
    ]
    for sent, parameter in bad:
        response = c.post(url + "/contributions", json=sent)
        assert response.status_code == 400, sent
        assert response.get_json()["parameter"] == parameter, sent
    assert c.get(url).get_json()["pledged"] == "5000.00"

    step = {"title": "Teacher hired", "planned_on": "2024-05-01", "client_id": new_id()}
    made = c.post(url + "/milestones", json=step)
    assert made.status_code == 201 and made.get_json()["title"] == "Teacher hired"
    assert c.post(url + "/milestones", json=step).status_code == 200
    assert len(c.get(url).get_json()["milestones"]) == 1
    missing = c.post(url + "/milestones", json={"title": ""})
    assert missing.status_code == 400 and missing.get_json()["parameter"] == "title"
    # A client id is for one kind of record only.
    reused = c.post(url + "/milestones", json={"title": "x", "client_id": client_id})
    assert reused.status_code == 409
