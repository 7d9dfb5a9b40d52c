"""Create-once with a client_id: a resend, or simultaneous resends, make one record."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from cbpar.api import idempotency
from cbpar.api.models import ClientRecord
from cbpar.db import db
from cbpar.mapping.models import Facility, Household
from cbpar.needs.models import Need
from tests.helpers import FACILITY, HOUSEHOLD, PASSWORD, as_user, csrf_token_from, fresh_app, new_id


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_the_same_client_id_twice_creates_once(app, client, team):
    c = as_user(app, "field_worker")
    client_id = new_id()
    first = c.post("/api/v1/projects/p1/households", json={**HOUSEHOLD, "client_id": client_id})
    assert first.status_code == 201
    again = c.post(
        "/api/v1/projects/p1/households",
        json={**HOUSEHOLD, "client_id": client_id.upper(), "members": 7},
    )
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["members"] == 5  # the stored record, not the resent values
    assert count(app, Household) == 1
    assert count(app, ClientRecord) == 1
    # Without a client_id every POST creates.
    assert c.post("/api/v1/projects/p1/households", json=HOUSEHOLD).status_code == 201
    assert count(app, Household) == 2


def test_a_malformed_client_id_is_400_and_creates_nothing(app, client, team):
    c = as_user(app, "field_worker")
    for bad in ("not-a-uuid", 12345, ["x"], "1234"):
        response = c.post("/api/v1/projects/p1/households", json={**HOUSEHOLD, "client_id": bad})
        assert response.status_code == 400, bad
        assert response.get_json()["parameter"] == "client_id"
        assert "UUID" in response.get_json()["message"]
    assert count(app, Household) == 0


def test_a_client_id_used_for_another_kind_is_409(app, client, team):
    c = as_user(app, "field_worker")
    client_id = new_id()
    made = c.post("/api/v1/projects/p1/households", json={**HOUSEHOLD, "client_id": client_id})
    assert made.status_code == 201
    other = c.post("/api/v1/projects/p1/facilities", json={**FACILITY, "client_id": client_id})
    assert other.status_code == 409 and other.get_json()["parameter"] == "client_id"
    assert count(app, Facility) == 0
    need = c.post("/api/v1/projects/p1/needs", json={"title": "x", "client_id": client_id})
    assert need.status_code == 409
    assert count(app, Need) == 0


def test_a_refused_create_remembers_nothing(app, client, team):
    c = as_user(app, "field_worker")
    client_id = new_id()
    bad = c.post(
        "/api/v1/projects/p1/households", json={**HOUSEHOLD, "members": 0, "client_id": client_id}
    )
    assert bad.status_code == 400
    assert count(app, ClientRecord) == 0
    good = c.post("/api/v1/projects/p1/households", json={**HOUSEHOLD, "client_id": client_id})
    assert good.status_code == 201


def test_losing_the_race_undoes_our_record_and_returns_the_winner(app, ctx, team, monkeypatch):
    """The first look finds nothing (the other request had not committed yet); the unique
    constraint then refuses our row: our record is rolled back, the winner's id returned."""
    from cbpar.projects.models import Project

    project = db.session.scalar(select(Project).where(Project.slug == "p1"))
    client_id = new_id()
    winner = Need(project_id=project.id, title="winner", category="other")
    db.session.add(winner)
    db.session.flush()
    idempotency.remember(project, "need", client_id, winner.id)
    real = idempotency.existing
    calls = []

    def first_look_misses(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(idempotency, "existing", first_look_misses)

    def create():
        need = Need(project_id=project.id, title="loser", category="other")
        db.session.add(need)
        return need

    record_id, created = idempotency.create_once(project, "need", client_id, create)
    assert (record_id, created) == (winner.id, False)
    titles = db.session.scalars(select(Need.title).where(Need.project_id == project.id)).all()
    assert titles == ["winner"]


def test_parse_client_id():
    assert idempotency.client_id_of({}) is None
    assert idempotency.client_id_of({"client_id": None}) is None
    canonical = "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f"
    assert idempotency.client_id_of({"client_id": canonical.upper()}) == canonical
    with pytest.raises(idempotency.MalformedClientId):
        idempotency.client_id_of({"client_id": "x" * 36})


def _project_with_token(app) -> str:
    from cbpar.auth.models import User
    from cbpar.auth.services import create_api_token, set_password
    from cbpar.projects.models import Membership, Project, Village
    from cbpar.security import Role

    with app.test_request_context():
        user = User(username="fieldworker")
        set_password(user, PASSWORD)
        project = Project(slug="p1", name="P1")
        db.session.add_all([user, project, Village(project=project, name="Shuanghe", code="SH")])
        db.session.add(Membership(project=project, user=user, role=Role.FIELD_WORKER))
        db.session.flush()
        _token, raw = create_api_token(user, "field app")
        db.session.commit()
        return raw


def test_simultaneous_identical_posts_create_once(tmp_path):
    app = fresh_app(tmp_path)
    raw = _project_with_token(app)
    client_id = new_id()
    start = threading.Barrier(8)
    statuses: list[int] = []
    ids: set[int] = set()
    errors: list[BaseException] = []

    def post() -> None:
        try:
            c = app.test_client()
            start.wait()
            response = c.post(
                "/api/v1/projects/p1/households",
                json={**HOUSEHOLD, "client_id": client_id},
                headers={"Authorization": f"Bearer {raw}"},
            )
            statuses.append(response.status_code)
            ids.add(response.get_json()["id"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(statuses) == [200] * 7 + [201]
    assert len(ids) == 1
    assert count(app, Household) == 1
    with app.app_context():
        db.engine.dispose()


def test_bearer_requests_need_no_csrf_but_cookie_sessions_do(tmp_path):
    app = fresh_app(tmp_path, WTF_CSRF_ENABLED=True)
    raw = _project_with_token(app)
    bearer = app.test_client().post(
        "/api/v1/projects/p1/households",
        json=HOUSEHOLD,
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert bearer.status_code == 201
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    logged_in = browser.post(
        "/login", data={"username": "fieldworker", "password": PASSWORD, "csrf_token": token}
    )
    assert logged_in.status_code == 302
    without = browser.post("/api/v1/projects/p1/households", json=HOUSEHOLD)
    assert without.status_code == 400
    household_id = bearer.get_json()["id"]
    put = browser.put(f"/api/v1/households/{household_id}", json={"version": 1, "members": 6})
    assert put.status_code == 400
    form = browser.get("/projects/p1/households/new").get_data(as_text=True)
    with_token = browser.post(
        "/api/v1/projects/p1/households",
        json=HOUSEHOLD,
        headers={"X-CSRFToken": csrf_token_from(form)},
    )
    assert with_token.status_code == 201
    assert count(app, Household) == 2
    with app.app_context():
        db.engine.dispose()
