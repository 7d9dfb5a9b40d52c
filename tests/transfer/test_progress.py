"""Web import with progress: the /run address streams NDJSON progress, then a summary."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from cbpar.db import db
from cbpar.mapping import services as mapping_services
from cbpar.mapping.models import Household
from cbpar.security import Role
from cbpar.transfer import importing
from cbpar.transfer.models import ImportMapping
from tests.helpers import csv_bytes, household_row

FIELDS = (
    "village",
    "lat",
    "lon",
    "members",
    "children_under_6",
    "children_6_17",
    "left_behind_children",
)
FORM = {f"map-{f}": f for f in FIELDS}


def _upload(client, rows: int) -> str:
    data = csv_bytes([household_row() for _ in range(rows)])
    response = client.post(
        "/projects/p1/import/households",
        data={"file": (io.BytesIO(data), "survey.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return response.headers["Location"]


def _lines(response) -> list[dict]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def _households(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Household.id)))


def test_run_streams_progress_then_a_summary_and_commits(client, login, team, app):
    login(team["users"][Role.FIELD_WORKER])
    mapping_url = _upload(client, 2500)
    response = client.post(f"{mapping_url}/run", data={**FORM, "save_mapping": "1"})
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Accel-Buffering"] == "no"
    lines = _lines(response)
    *progress, last = lines
    checking = [e["done"] for e in progress if e["phase"] == "checking"]
    writing = [e["done"] for e in progress if e["phase"] == "writing"]
    assert checking == [1000, 2000, 2500]
    assert writing[-1] == 2500 and writing == sorted(writing) and len(writing) >= 3
    assert all(e["total"] == 2500 for e in progress)
    assert last["done"] is True
    assert last["summary"] == {
        "rows": 2500,
        "created": 2500,
        "updated": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    assert _households(app) == 2500
    with app.app_context():
        assert db.session.scalar(select(ImportMapping.mapping))["village"] == "village"
    assert client.get(mapping_url).status_code == 404  # the upload is gone
    page = client.get(last["report_url"])
    assert page.status_code == 200
    assert "2500 created, 0 updated, 0 unchanged; 0 rows skipped." in page.get_data(as_text=True)


def test_a_failure_while_writing_saves_nothing_and_streams_an_error(
    client, login, team, app, monkeypatch
):
    login(team["users"][Role.FIELD_WORKER])
    mapping_url = _upload(client, 2500)
    real_insert = mapping_services.bulk_insert
    calls = []

    def insert_then_fail(model, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_insert(model, rows)

    monkeypatch.setattr(mapping_services, "bulk_insert", insert_then_fail)
    response = client.post(f"{mapping_url}/run", data={**FORM, "save_mapping": "1"})
    assert response.status_code == 200
    *progress, last = _lines(response)
    assert [e["done"] for e in progress if e["phase"] == "writing"] == [1000]
    assert "nothing was saved" in last["error"] and "disk full" not in last["error"]
    assert _households(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportMapping.id))) == 0
    assert client.get(mapping_url).status_code == 200  # the upload is kept to try again


def test_a_mapping_problem_is_an_error_line_and_saves_nothing(client, login, team, app):
    login(team["users"][Role.FIELD_WORKER])
    mapping_url = _upload(client, 3)
    response = client.post(f"{mapping_url}/run", data={**FORM, "map-village": ""})
    assert response.status_code == 422
    assert response.mimetype == "application/x-ndjson"
    [line] = _lines(response)
    assert "Choose the column" in line["error"]
    assert _households(app) == 0


def test_committee_may_not_run_an_import(client, login, team, app):
    login(team["users"][Role.FIELD_WORKER])
    mapping_url = _upload(client, 3)
    client.post("/logout")
    login(team["users"][Role.COMMITTEE])
    assert client.post(f"{mapping_url}/run", data=FORM).status_code == 403
    assert _households(app) == 0


def test_the_summary_page_needs_an_import_event_of_this_project(client, login, team, app):
    login(team["users"][Role.FIELD_WORKER])
    assert client.get("/projects/p1/import/households/done/999999").status_code == 404


def test_progress_callbacks_of_plan_and_apply(ctx, make_project):
    from cbpar.projects.models import Project
    from cbpar.transfer import reading

    make_project("p2")
    project = db.session.scalar(select(Project).where(Project.slug == "p2"))
    table = reading.read_csv(csv_bytes([household_row() for _ in range(2100)]))
    events: list[tuple[str, int, int]] = []
    mapping = {f: f for f in FIELDS}
    plan = importing.plan(
        project, "households", table, mapping, progress=lambda *e: events.append(e)
    )
    importing.apply(project, plan, progress=lambda *e: events.append(e))
    assert [e for e in events if e[0] == "checking"] == [
        ("checking", 1000, 2100),
        ("checking", 2000, 2100),
        ("checking", 2100, 2100),
    ]
    assert [e[1] for e in events if e[0] == "writing"][-1] == 2100
