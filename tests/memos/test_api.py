"""The memo API: list, create, read, update with a version (409 when stale), search."""

from __future__ import annotations

from tests.helpers import as_user


def create(c, **fields):
    body = {
        "title": "API memo",
        "body": "# Hello\n\n幼儿园",
        "kind": "field_note",
        "visibility": "team",
        "tags": ["guardianship", "幼儿园"],
        **fields,
    }
    return c.post("/api/v1/projects/p1/memos", json=body)


def test_create_read_list_and_filter(app, client, team):
    c = as_user(app, "researcher")
    response = create(c)
    assert response.status_code == 201
    memo = response.get_json()
    assert memo["version"] == 1 and memo["tags"] == ["guardianship", "幼儿园"]
    assert "<h1>Hello</h1>" in memo["html"] and memo["url"].endswith(f"/memos/{memo['id']}")
    got = c.get(f"/api/v1/memos/{memo['id']}").get_json()
    assert set(got) >= {
        "id",
        "title",
        "body",
        "html",
        "kind",
        "visibility",
        "tags",
        "version",
        "url",
    }
    create(c, title="Other", body="nothing", tags=["other"])
    assert [
        m["title"] for m in c.get("/api/v1/projects/p1/memos?tag=幼儿园").get_json()["memos"]
    ] == ["API memo"]
    assert c.get("/api/v1/projects/p1/memos?q=幼儿").get_json()["count"] == 1


def test_put_with_stale_version_is_409_and_overwrites_nothing(app, client, team):
    c = as_user(app, "researcher")
    memo = create(c).get_json()
    first = c.put(f"/api/v1/memos/{memo['id']}", json={"version": 1, "body": "new text"})
    assert first.status_code == 200 and first.get_json()["version"] == 2
    stale = c.put(f"/api/v1/memos/{memo['id']}", json={"version": 1, "body": "lost?"})
    assert stale.status_code == 409
    assert stale.get_json()["current"]["body"] == "new text"
    assert c.get(f"/api/v1/memos/{memo['id']}").get_json()["body"] == "new text"


def test_errors_name_the_field(app, client, team):
    c = as_user(app, "researcher")
    for body, field in [
        ({"body": "x"}, "title"),
        ({"title": "x", "kind": "poem"}, "kind"),
        ({"title": "x", "visibility": "public"}, "visibility"),
        ({"title": "x", "tags": "a,b"}, "tags"),
    ]:
        response = c.post("/api/v1/projects/p1/memos", json=body)
        assert response.status_code == 400 and response.get_json()["parameter"] == field, body
    memo = create(c).get_json()
    response = c.put(f"/api/v1/memos/{memo['id']}", json={"body": "no version"})
    assert response.status_code == 400 and response.get_json()["parameter"] == "version"


def test_api_permissions(app, client, team):
    c = as_user(app, "researcher")
    private = create(c, visibility="private").get_json()
    community = create(c, visibility="community").get_json()
    committee = as_user(app, "committee")
    assert committee.get(f"/api/v1/memos/{private['id']}").status_code == 404
    assert committee.get(f"/api/v1/memos/{community['id']}").status_code == 200
    assert (
        committee.put(
            f"/api/v1/memos/{community['id']}", json={"version": 1, "body": "x"}
        ).status_code
        == 403
    )
    assert create(committee).status_code == 403
    assert as_user(app, "observer").get("/api/v1/projects/p1/memos").status_code == 403
    assert client.get("/api/v1/projects/p1/memos").status_code == 401


def test_bearer_token_works_for_memos(app, client, team):
    from cbpar.auth import services as auth_services
    from cbpar.auth.models import User
    from cbpar.db import db

    with app.app_context():
        user = db.session.query(User).filter_by(username="researcher").one()
        created = auth_services.create_api_token(user, "test")
        raw = created[1] if isinstance(created, tuple) else created
        db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    response = api.post("/api/v1/projects/p1/memos", json={"title": "by token"}, headers=headers)
    assert response.status_code == 201
    hits = api.get("/api/v1/projects/p1/search?q=token", headers=headers).get_json()["hits"]
    assert [(h["type"], h["title"]) for h in hits] == [("memo", "by token")]
    assert "<mark>token</mark>" not in hits[0]["snippet"]  # the body is empty
    assert api.get("/api/v1/projects/p1/search?q=", headers=headers).status_code == 400
