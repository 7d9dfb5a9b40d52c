"""The needs and votes JSON API."""

from __future__ import annotations

from cbpar.db import db
from cbpar.needs.models import VoteRound


def round_body(options: list[int]) -> dict:
    return {
        "title": "x",
        "method": "borda",
        "options": options,
        "eligible_roles": ["committee"],
        "opens_at": "2000-01-01T00:00:00+00:00",
        "closes_at": "2100-01-01T00:00:00+00:00",
    }


def test_lists_and_round_lifecycle(client, login, needs, make_round, app):
    login("coordinator")
    listed = client.get("/api/v1/projects/p1/needs").get_json()
    assert {n["id"] for n in listed["needs"]} == set(needs)
    assert all(n["status"] == "proposed" for n in listed["needs"])
    body = {
        "title": "API round",
        "method": "schulze",
        "options": needs[:3],
        "eligible_roles": ["committee", "coordinator"],
        "opens_at": "2000-01-01T00:00:00+00:00",
        "closes_at": "2100-01-01T00:00:00+00:00",
    }
    created = client.post("/api/v1/projects/p1/votes", json=body)
    assert created.status_code == 201
    vote = created.get_json()
    assert [o["id"] for o in vote["options"]] == needs[:3]
    assert vote["state"] == "open" and vote["ballots_cast"] == 0
    rid = vote["id"]
    assert client.get("/api/v1/projects/p1/votes").get_json()["votes"][0]["id"] == rid

    url = f"/api/v1/votes/{rid}/ballot"
    assert client.post(url, json={"ranking": [needs[0], 999]}).status_code == 400
    dup = client.post(url, json={"ranking": [needs[0], needs[0]]})
    assert dup.status_code == 400 and "twice" in dup.get_json()["message"]
    assert client.post(url, json={"ranking": []}).status_code == 400
    cast = client.post(url, json={"ranking": [needs[1], needs[0]]})
    assert cast.status_code == 201 and len(cast.get_json()["receipt"]) == 11
    assert client.get(f"/api/v1/votes/{rid}").get_json()["ballots_cast"] == 1
    assert client.get(f"/api/v1/votes/{rid}/results").status_code == 409

    assert client.post(f"/api/v1/votes/{rid}/close").status_code == 200
    assert client.post(url, json={"ranking": [needs[0]]}).status_code == 409
    results = client.get(f"/api/v1/votes/{rid}/results").get_json()
    assert results["method"] == "schulze"
    assert results["ranking"][0] == [needs[1]]
    assert results["ballots_cast"] == 1
    assert set(results["by_method"]) == {"borda", "schulze", "irv", "approval"}
    assert "strongest_paths" in results["details"]
    with app.app_context():
        assert db.session.get(VoteRound, rid).result is not None


def test_permissions(client, login, needs, make_round):
    rid = make_round(eligible_roles=["committee"])
    login("committee")
    body = round_body(needs[:2])
    assert client.post("/api/v1/projects/p1/votes", json=body).status_code == 403
    assert client.post(f"/api/v1/votes/{rid}/close").status_code == 403
    client.post("/logout")
    login("field_worker")
    assert client.post(f"/api/v1/votes/{rid}/ballot", json={"ranking": needs}).status_code == 403
    client.post("/logout")
    login("outsider")
    assert client.get(f"/api/v1/votes/{rid}").status_code == 404
    assert client.get("/api/v1/projects/p1/needs").status_code == 404


def test_bad_round_is_400(client, login, needs):
    login("researcher")
    body = round_body(needs[:1])
    assert client.post("/api/v1/projects/p1/votes", json=body).status_code == 400
    body["options"] = needs
    body["method"] = "plurality"
    assert client.post("/api/v1/projects/p1/votes", json=body).get_json()["parameter"] == "method"
    body["method"] = "irv"
    body["closes_at"] = "2100-01-01T00:00:00"
    assert client.post("/api/v1/projects/p1/votes", json=body).status_code == 400
