"""Issue 13 §3: imports of files shaped like real KoBoToolbox, ODK Central and Chinese Excel
exports (tests/transfer/data/), and the GeoJSON export the researcher gets back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cbpar.db import db
from cbpar.mapping.models import Household, MigrantParents
from cbpar.projects.models import Project, Village
from cbpar.security import Role
from cbpar.transfer import columns, importing, mappings, reading
from tests.helpers import make_project_with_villages, run

DATA = Path(__file__).parent / "data"
LIANGSHUI = "Liangshui Village (凉水村)"


def _project() -> Project:
    project = db.session.scalar(select(Project).where(Project.slug == "p1"))
    if not any(v.code == "LS" for v in project.villages):
        db.session.add(Village(project=project, name=LIANGSHUI, code="LS"))
        db.session.flush()
    return project


def _plan(project: Project, name: str, given: dict[str, str] | None = None):
    table = reading.read_path(DATA / name)
    mapping = mappings.mapping_for(project, "households", table, given or {})
    return table, mapping, importing.plan(project, "households", table, mapping)


def _households() -> list[Household]:
    db.session.expire_all()
    return list(db.session.scalars(select(Household).order_by(Household.id)))


# --- hyphenated label headers, never a silent drop, blank is unknown -------------------------


def test_kobo_label_headers_with_hyphens_are_matched(app, ctx, make_project):
    make_project("p1")
    project = _project()
    table, mapping, plan = _plan(project, "kobo_labels_en.csv")
    assert table.delimiter == ";"
    assert mapping["left_behind_children"] == "Left-behind children"
    assert mapping["children_6_17"] == "Children 6-17"
    assert not plan.problems, plan.problems
    importing.apply(project, plan)
    first = _households()[0]
    assert (first.children_6_17, first.left_behind_children) == (2, 3)


def test_odk_group_paths_still_match_by_their_last_segment():
    odk = reading.read_path(DATA / "odk_central.csv")
    mapping = columns.suggest("households", odk.columns)
    assert mapping["children_under_6"] == "household-children_under_6"
    assert mapping["left_behind_children"] == "household-left_behind_children"
    assert mapping["lat"] == "household-location-Latitude"
    assert mapping["source_id"] == "meta-instanceID"


def test_a_blank_count_is_stored_as_unknown_not_zero(app, ctx, make_project, client):
    make_project("p1")
    project = _project()
    _table, _mapping, plan = _plan(project, "kobo_labels_en.csv")
    importing.apply(project, plan)
    second = _households()[1]  # its "Left-behind children" cell is empty
    assert second.left_behind_children is None
    assert second.children_6_17 == 2


def test_every_file_column_is_listed_with_its_target_and_samples(app, ctx, make_project):
    make_project("p1")
    project = _project()
    table, mapping, _plan_ = _plan(project, "kobo_labels_en.csv")
    described = {
        c["column"]: c
        for c in columns.describe_columns("households", mapping, table.columns, table.rows)
    }
    assert list(described) == table.columns
    assert described["Left-behind children"]["fields"] == ["left_behind_children"]
    assert described["Left-behind children"]["samples"] == ["3", "1"]
    assert described["_id"]["fields"] == [] and described["start"]["fields"] == []
    assert "_id" in columns.unmapped_columns(mapping, table.columns)


def test_cli_lists_every_column_and_the_unmapped_ones(tmp_path):
    from tests.helpers import fresh_app

    app = fresh_app(tmp_path)
    make_project_with_villages(app)
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "p1"))
        db.session.add(Village(project=project, name=LIANGSHUI, code="LS"))
        db.session.commit()
    path = DATA / "kobo_labels_en.csv"
    result = run(app, "import", "households", str(path), "--project", "p1", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "'Left-behind children'" in result.output
    assert "left_behind_children" in result.output
    assert "NOT IMPORTED" in result.output and "'_submission_time'" in result.output
    assert "not imported: start, end" in result.output


def test_mapping_page_lists_columns_samples_and_check_lists_unmapped(client, login, team, app):
    with app.app_context():
        db.session.add(Village(project_id=team["project"].id, name=LIANGSHUI, code="LS"))
        db.session.commit()
    login(team["users"][Role.FIELD_WORKER])
    response = client.post(
        "/projects/p1/import/households",
        data={"file": (io.BytesIO((DATA / "kobo_labels_en.csv").read_bytes()), "kobo.csv")},
        content_type="multipart/form-data",
    )
    url = response.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert "data-file-columns" in page and "<code>Left-behind children</code>" in page
    assert "not imported" in page and "Grandmother cares for three" in page
    form = {f"map-{f}": c for f, c in columns.suggest("households", _columns()).items()}
    form["map-notes"] = ""
    report = client.post(url, data={**form, "action": "check"}).get_data(as_text=True)
    assert "data-unmapped" in report and "<code>Notes</code>" in report


def _columns() -> list[str]:
    return reading.read_path(DATA / "kobo_labels_en.csv").columns


# --- KoBo submission id ----------------------------------------------------------------------


def test_kobo_uuid_is_the_submission_id_so_another_server_reimports(app, ctx, make_project):
    make_project("p1")
    project = _project()
    table, mapping, plan = _plan(project, "kobo_xml_values.csv")
    assert mapping["source_id"] == "_uuid"
    importing.apply(project, plan)
    assert _households()[0].source_id == "7a3f6a52-4c1e-4f7e-9a57-2f0e3c1d9b01"
    # Exported again from another KoBo server: other `_id`s, same submissions.
    _table, _mapping, again = _plan(project, "kobo_xml_values_other_server.csv")
    assert again.summary()["created"] == 0
    assert again.summary()["updated"] == 1 and again.summary()["unchanged"] == 1
    # The ODK-style instance id ("uuid:...") of the same submission is the same household.
    _table, _mapping, by_instance = _plan(
        project, "kobo_xml_values.csv", {"source_id": "meta/instanceID", "field_ref": ""}
    )
    assert by_instance.summary()["created"] == 0


# --- villages as people write them -----------------------------------------------------------


def test_villages_match_by_name_parts_case_spaces_and_aliases(app, ctx, make_project):
    make_project("p1")
    project = _project()
    _table, _mapping, plan = _plan(project, "kobo_labels_en.csv")  # Liangshui / 凉水村 / ...
    assert not plan.problems, plan.problems
    _table, _mapping, plan = _plan(project, "excel_zh_gb18030.csv")  # " 凉水村 "
    assert not plan.problems, plan.problems
    odk = reading.read_path(DATA / "odk_central.csv")
    odk.rows[0][1][1] = "LSC"
    mapping = mappings.mapping_for(project, "households", odk, {})
    assert [p.reasons for p in importing.plan(project, "households", odk, mapping).problems]
    village = db.session.scalar(select(Village).where(Village.code == "LS"))
    village.aliases = "LSC\n两水"
    db.session.flush()
    assert not importing.plan(project, "households", odk, mapping).problems


def test_a_name_that_fits_two_villages_is_refused_not_guessed(app, ctx, make_project):
    make_project("p1")
    project = _project()
    db.session.add(Village(project=project, name="Liangshui (上凉水村)", code="LU"))
    db.session.flush()
    _table, _mapping, plan = _plan(project, "kobo_labels_en.csv")
    first = [p for p in plan.problems if p.line == 2]
    assert first and "more than one village" in " ".join(first[0].reasons)


def test_village_form_saves_aliases_one_per_line(client, login, team, app):
    login(team["users"][Role.COORDINATOR])
    with app.app_context():
        village = db.session.scalar(select(Village).where(Village.code == "SH"))
        village_id = village.id
    page = client.get(f"/projects/p1/villages/{village_id}/edit").get_data(as_text=True)
    assert 'name="aliases"' in page
    response = client.post(
        f"/projects/p1/villages/{village_id}/edit",
        data={"name": "Shuanghe", "code": "SH", "aliases": " 双河村 \r\n\r\nShuanghe Cun\r\n"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Village, village_id).aliases == "双河村\nShuanghe Cun"


# --- the team's own household numbers --------------------------------------------------------


def test_hh_code_is_kept_as_field_reference_and_our_code_is_generated(app, ctx, make_project):
    make_project("p1")
    project = _project()
    _table, mapping, plan = _plan(project, "kobo_xml_values.csv")
    assert mapping["code"] == "" and mapping["field_ref"] == "household/hh_code"
    assert not plan.problems, plan.problems
    importing.apply(project, plan)
    assert [(h.code, h.field_ref) for h in _households()] == [("LS-001", "017"), ("LS-002", "018")]
    # Re-import matched by the field number alone (no submission id): updated, no duplicate.
    _table, _mapping, again = _plan(project, "kobo_xml_values_other_server.csv", {"source_id": ""})
    assert again.summary()["created"] == 0 and again.summary()["updated"] == 1


def test_field_reference_is_shown_and_searchable_for_the_field_team_only(client, login, team, app):
    with app.app_context():
        project = db.session.get(Project, team["project"].id)
        village = project.villages[0]
        household = Household(
            project_id=project.id,
            village_id=village.id,
            number=1,
            code="SH-001",
            lat=42.1,
            lon=119.1,
            field_ref="TEAM-0417",
        )
        db.session.add(household)
        db.session.commit()
        household_id = household.id
    login(team["users"][Role.FIELD_WORKER])
    page = client.get(f"/projects/p1/households/{household_id}").get_data(as_text=True)
    assert "TEAM-0417" in page
    assert "TEAM-0417" in client.get("/projects/p1/households").get_data(as_text=True)
    found = client.get("/projects/p1/search?q=0417").get_data(as_text=True)
    assert "SH-001" in found
    client.post("/logout")
    login(team["users"][Role.COMMITTEE])
    found = client.get("/projects/p1/search?q=0417").get_data(as_text=True)
    assert "SH-001" not in found and "TEAM-0417" not in found
    exported = client.get("/projects/p1/export/households.geojson").get_data(as_text=True)
    assert "TEAM-0417" not in exported and "field_ref" not in exported


# --- Chinese headers, samples -----------------------------------------------------------------


def test_chinese_excel_headers_in_gb18030_are_suggested(app, ctx, make_project):
    make_project("p1")
    project = _project()
    table, mapping, plan = _plan(project, "excel_zh_gb18030.csv")
    assert table.encoding == "gb18030"
    assert mapping["village"] == "村庄名称"
    assert (mapping["lat"], mapping["lon"]) == ("纬度（°）", "经度（°）")
    assert mapping["members"] == "家庭人口数" and mapping["field_ref"] == "户编号"
    assert mapping["left_behind_children"] == "留守儿童人数"
    assert not plan.problems, plan.problems
    assert plan.new[0]["migrant_parents"] == MigrantParents.BOTH
    assert plan.new[1]["left_behind_children"] is None


# --- GeoJSON ---------------------------------------------------------------------------------


def test_geojson_export_has_every_csv_field(client, login, team, app):
    from datetime import date

    with app.app_context():
        project = db.session.get(Project, team["project"].id)
        db.session.add(
            Household(
                project_id=project.id,
                village_id=project.villages[0].id,
                number=1,
                code="SH-001",
                lat=42.1,
                lon=119.1,
                members=3,
                left_behind_children=None,
                visited_on=date(2024, 5, 6),
                consent_on=date(2024, 5, 6),
                consent_given_by="grandmother",
                notes="sensitive note",
                field_ref="017",
            )
        )
        db.session.commit()
    login(team["users"][Role.RESEARCHER])
    csv_header = client.get("/projects/p1/export/households.csv").get_data().decode("utf-8-sig")
    csv_fields = set(csv_header.splitlines()[0].split(",")) - {"lat", "lon"}
    body = json.loads(client.get("/projects/p1/export/households.geojson").get_data())
    properties = body["features"][0]["properties"]
    assert csv_fields <= set(properties), csv_fields - set(properties)
    assert properties["visited_on"] == "2024-05-06" and properties["notes"] == "sensitive note"
    assert properties["left_behind_children"] is None and properties["updated_at"]
    client.post("/logout")
    login(team["users"][Role.COMMITTEE])
    body = json.loads(client.get("/projects/p1/export/households.geojson").get_data())
    assert set(body["features"][0]["properties"]) == {"village"}


def test_geojson_in_web_mercator_is_converted(app, ctx, make_project):
    make_project("p1")
    project = _project()
    table = reading.read_path(DATA / "households_3857.geojson")
    mapping = mappings.mapping_for(project, "households", table, {})
    plan = importing.plan(project, "households", table, mapping)
    assert not plan.problems, plan.problems
    assert plan.new[0]["lat"] == pytest.approx(41.98012, abs=1e-6)
    assert plan.new[0]["lon"] == pytest.approx(118.71233, abs=1e-6)


@pytest.mark.parametrize("name", ["households_2385.geojson", "households_metres_no_crs.geojson"])
def test_other_projected_geojson_is_refused_once_as_projected(name):
    with pytest.raises(reading.ReadError, match="projected coordinates"):
        reading.read_path(DATA / name)


# --- line numbers and accepted values --------------------------------------------------------


def test_multiline_record_is_reported_at_its_first_line_with_accepted_values(
    app, ctx, make_project
):
    make_project("p1")
    project = _project()
    table, _mapping, plan = _plan(project, "multiline_notes.csv")
    assert [line for line, _cells in table.rows] == [2, 5]
    [problem] = plan.problems
    assert problem.line == 5
    reasons = " ".join(problem.reasons)
    assert "uncle" in reasons and "none" in reasons and "both" in reasons
