"""The web pages: import with a mapping step, role-filtered audited exports, erasure, report."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.mapping.models import Facility, FacilityKind, Household
from cbpar.security import Role
from tests.helpers import csv_bytes, household_row


def _add_records(app, project):
    with app.app_context():
        village = project.villages[0] if project.villages else None
        from cbpar.projects.models import Village

        village = db.session.scalar(select(Village).where(Village.project_id == project.id))
        village.center_lat, village.center_lon = 42.36, 119.83
        db.session.add(
            Household(
                project_id=project.id,
                village_id=village.id,
                number=1,
                code="SH-001",
                lat=42.36,
                lon=119.83,
                members=3,
                children_under_6=1,
                notes="=cmd|' /C calc'!A0",
            )
        )
        db.session.add(
            Facility(
                project_id=project.id,
                name="Town kindergarten",
                kind=FacilityKind.KINDERGARTEN,
                lat=42.40,
                lon=119.9,
            )
        )
        db.session.commit()


def _exports(app, project_id):
    with app.app_context():
        return [
            {"what": e.details["what"], "rows": e.details["rows"]}
            for e in db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "export", AuditEvent.project_id == project_id
                )
            )
        ]


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.FIELD_WORKER, {"notes", "members", "SH-001"}),
        (Role.COMMITTEE, {"Shuanghe", "lat"}),
        (Role.OBSERVER, {"Shuanghe"}),
    ],
)
def test_household_exports_are_filtered_like_the_pages(client, login, team, app, role, sees):
    _add_records(app, team["project"])
    login(team["users"][role])
    csv_text = client.get("/projects/p1/export/households.csv").get_data(as_text=True)
    for word in sees:
        assert word in csv_text
    if role == Role.FIELD_WORKER:
        assert "'=cmd" in csv_text  # a formula is escaped
    else:
        assert "members" not in csv_text.splitlines()[0] or role == Role.OBSERVER
        assert "notes" not in csv_text and "calc" not in csv_text
    if role != Role.FIELD_WORKER:  # committee: no code either (issue 11, item 10)
        assert "SH-001" not in csv_text
    geo = json.loads(client.get("/projects/p1/export/households.geojson").data)
    props = geo["features"][0]["properties"]
    assert ("members" in props) == (role == Role.FIELD_WORKER)
    assert (props.get("code") == "SH-001") == (role == Role.FIELD_WORKER)
    assert len(_exports(app, team["project"].id)) == 2


def test_facility_memo_minutes_exports_are_audited(client, login, team, app):
    _add_records(app, team["project"])
    login(team["users"][Role.RESEARCHER])
    for url in ("facilities.csv", "facilities.geojson", "memos.zip", "minutes.md"):
        response = client.get(f"/projects/p1/export/{url}")
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"
    assert [e["what"] for e in _exports(app, team["project"].id)] == [
        "facilities",
        "facilities",
        "memos",
        "minutes",
    ]


def test_only_a_coordinator_downloads_the_archive_or_erases(client, login, team, app):
    _add_records(app, team["project"])
    login(team["users"][Role.RESEARCHER])
    assert client.get("/projects/p1/export/archive.zip").status_code == 403
    assert client.post("/projects/p1/households/1/erase").status_code in (403, 404)
    client.post("/logout")
    login(team["users"][Role.COORDINATOR])
    response = client.get("/projects/p1/export/archive.zip")
    assert response.status_code == 200 and response.data[:2] == b"PK"


def test_erase_from_the_web_needs_the_code(client, login, team, app):
    _add_records(app, team["project"])
    login(team["users"][Role.COORDINATOR])
    with app.app_context():
        household_id = db.session.scalar(select(Household.id))
    url = f"/projects/p1/households/{household_id}/erase"
    assert client.post(url, data={"confirm_code": "nope"}).status_code == 422
    assert client.post(url, data={"confirm_code": "SH-001"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Household.id))) == 0
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_erased"))
        assert "SH-001" not in json.dumps(event.details)


def test_household_page_offers_erasure_to_coordinators_only(client, login, team, app):
    _add_records(app, team["project"])
    with app.app_context():
        household_id = db.session.scalar(select(Household.id))
    erase = f"/projects/p1/households/{household_id}/erase"
    login(team["users"][Role.RESEARCHER])
    assert erase not in client.get(f"/projects/p1/households/{household_id}").get_data(as_text=True)
    client.post("/logout")
    login(team["users"][Role.COORDINATOR])
    assert erase in client.get(f"/projects/p1/households/{household_id}").get_data(as_text=True)


def test_web_import_mapping_report_then_only_valid_rows(client, login, team, app):
    login(team["users"][Role.FIELD_WORKER])
    data = csv_bytes(
        [household_row(), household_row(village="Nowhere"), household_row()],
        delimiter=";",
        encoding="gb18030",
    )
    response = client.post(
        "/projects/p1/import/households",
        data={"file": (io.BytesIO(data), "survey.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    assert '<option value="village" selected>' in page
    form = {
        f"map-{f}": f
        for f in (
            "village",
            "lat",
            "lon",
            "members",
            "children_under_6",
            "children_6_17",
            "left_behind_children",
        )
    }
    report = client.post(mapping_url, data={**form, "action": "check"}).get_data(as_text=True)
    assert "Nowhere" in report and "<td>3</td>" in report
    with app.app_context():
        assert db.session.scalar(select(func.count(Household.id))) == 0
    done = client.post(mapping_url, data={**form, "action": "commit", "save_mapping": "1"})
    assert done.status_code == 200
    assert "2 created" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Household.id))) == 2
    assert client.get(mapping_url).status_code == 404  # the upload is gone


def test_committee_cannot_import(client, login, team):
    login(team["users"][Role.COMMITTEE])
    response = client.post(
        "/projects/p1/import/households",
        data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


def test_report_has_map_figures_and_no_household_codes(client, login, team, app):
    _add_records(app, team["project"])
    login(team["users"][Role.OBSERVER])
    page = client.get("/projects/p1/report").get_data(as_text=True)
    assert "<svg" in page and "Town kindergarten" in page and "@page" in page
    assert "SH-001" not in page and "calc" not in page
    markdown = client.get("/projects/p1/report.md").get_data(as_text=True)
    assert markdown.startswith("# Project p1") and "Shuanghe" in markdown
    assert "SH-001" not in markdown


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.COMMITTEE, Role.FIELD_WORKER])
def test_raw_rows_of_initiatives_and_votes_are_not_exported_to_other_roles(role):
    from cbpar.projects.models import Membership
    from cbpar.transfer import exporting

    names = exporting.generic_tables(Membership(role=role))
    assert not [n for n in names if n.startswith(("fund", "contribution", "milestone", "ballot"))]
    coordinator = exporting.generic_tables(Membership(role=Role.COORDINATOR))
    assert "funder" in coordinator and "ballot" not in coordinator


def test_report_shows_initiatives_funding_milestones_and_indicators_but_no_notes(
    client, login, team, app
):
    from cbpar.initiatives.models import Milestone
    from tests.helpers import full_initiative, seed

    def build(project):
        initiative = full_initiative(project, "Build a kindergarten")
        db.session.add(
            Milestone(
                project_id=project.id,
                initiative_id=initiative.id,
                title="Built",
                done_on=date(2022, 9, 1),
                note="SECRET-NOTE-FOR-THE-TEAM",
            )
        )

    seed(app, build)
    login(team["users"][Role.OBSERVER])
    page = client.get("/projects/p1/report").get_data(as_text=True)
    for text in ("Build a kindergarten", "CNY 300.30", "Built: 2022-09-01", "Children enrolled"):
        assert text in page, text
    assert "SECRET-NOTE-FOR-THE-TEAM" not in page
    markdown = client.get("/projects/p1/report.md").get_data(as_text=True)
    assert "### Build a kindergarten" in markdown and "CNY 300.30" in markdown
    assert "SECRET-NOTE-FOR-THE-TEAM" not in markdown
