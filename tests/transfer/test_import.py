"""Importing households and facilities: formats, KoBo/ODK headers, validation, re-import."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.mapping.models import Facility, FacilityKind, Household, MigrantParents
from cbpar.projects.models import Project
from cbpar.transfer import columns, importing, mappings, reading
from tests.helpers import csv_bytes, household_row, make_project_with_villages, run


def test_csv_comma_semicolon_bom_and_gb18030():
    rows = [household_row(notes="祖母照料"), household_row(village="Baiyin")]
    for data in (
        csv_bytes(rows),
        b"\xef\xbb\xbf" + csv_bytes(rows, delimiter=";"),
        csv_bytes(rows, delimiter=";", encoding="gb18030"),
    ):
        table = reading.read(data, "x.csv")
        assert table.columns[0] == "village"
        assert [line for line, _ in table.rows] == [2, 3]
        assert dict(zip(table.columns, table.rows[0][1], strict=True))["notes"] == "祖母照料"
    assert reading.read(csv_bytes(rows, ";", "gb18030"), "x.csv").encoding == "gb18030"
    assert reading.read(csv_bytes(rows, ";"), "x.csv").delimiter == ";"


def test_xlsx_and_geojson():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "kind", "lat", "lon", "capacity"])
    sheet.append(["Kindergarten", "kindergarten", 42.1, 119.5, 30.0])
    out = io.BytesIO()
    workbook.save(out)
    table = reading.read(out.getvalue(), "f.xlsx")
    assert table.columns == ["name", "kind", "lat", "lon", "capacity"]
    assert table.rows == [(2, ["Kindergarten", "kindergarten", "42.1", "119.5", "30"])]

    geo = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [119.5, 42.1]},
                "properties": {"name": "Clinic", "kind": "clinic"},
            }
        ],
    }
    table = reading.read(json.dumps(geo).encode(), "f.geojson")
    values = dict(zip(table.columns, table.rows[0][1], strict=True))
    assert values["latitude"] == "42.1" and values["longitude"] == "119.5"
    assert columns.suggest("facilities", table.columns)["lat"] == "latitude"


def test_suggestions_for_kobo_and_odk_headers():
    kobo = ["household/village", "household/members", "_gps_latitude", "_gps_longitude", "_uuid"]
    mapping = columns.suggest("households", kobo)
    assert mapping["village"] == "household/village"
    assert mapping["members"] == "household/members"
    assert mapping["lat"] == "_gps_latitude" and mapping["lon"] == "_gps_longitude"
    assert mapping["source_id"] == "_uuid"
    kobo_single = ["village", "household/gps"]
    mapping = columns.suggest("households", kobo_single)
    assert mapping["lat"] == mapping["lon"] == "household/gps"
    odk = ["hh-village", "hh-location-Latitude", "hh-location-Longitude", "meta-instanceID"]
    mapping = columns.suggest("households", odk)
    assert mapping["lat"] == "hh-location-Latitude"
    assert mapping["lon"] == "hh-location-Longitude"
    assert mapping["source_id"] == "meta-instanceID"
    assert mapping["village"] == "hh-village"


def _project(app):
    return db.session.scalar(select(Project).where(Project.slug == "p1"))


def test_validation_report_names_lines_and_reasons(app, ctx, make_project):
    make_project("p1")
    project = _project(app)
    rows = [
        household_row(),  # line 2: fine
        household_row(lat=""),  # 3: missing coordinates
        household_row(lat="95"),  # 4: out of range
        household_row(village="Nowhere"),  # 5
        household_row(left_behind_children="5"),  # 6: more left-behind than children
        household_row(members="-1"),  # 7
        household_row(visited_on="2024-02-30"),  # 8: not a real date
        household_row(migrant_parents="uncle"),  # 9
    ]
    table = reading.read(csv_bytes(rows), "x.csv")
    mapping = mappings.mapping_for(project, "households", table, {"visited_on": "visited_on"})
    plan = importing.plan(project, "households", table, mapping)
    problems = {p.line: " ".join(p.reasons) for p in plan.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9]
    assert "Missing coordinates" in problems[3]
    assert "Latitude" in problems[4]
    assert "Nowhere" in problems[5]
    assert "Left-behind" in problems[6]
    assert "whole number" in problems[7]
    assert "real date" in problems[8]
    assert "uncle" in problems[9]
    assert plan.summary()["created"] == 1


def test_kobo_geopoint_column_and_gb18030_chinese_labels(app, ctx, make_project):
    make_project("p1")
    project = _project(app)
    rows = [
        {"村": "SH", "gps": "42.36 119.83 1200 5", "人口": "3", "外出务工": "父亲"},
        {"村": "SH", "gps": "[42.37, 119.84]", "人口": "2", "外出务工": "mother"},
    ]
    table = reading.read(csv_bytes(rows, ";", "gb18030"), "x.csv")
    mapping = mappings.mapping_for(project, "households", table, {})
    plan = importing.plan(project, "households", table, mapping)
    assert not plan.problems, plan.problems
    assert [(r["lat"], r["lon"]) for r in plan.new] == [(42.36, 119.83), (42.37, 119.84)]
    assert plan.new[0]["migrant_parents"] == MigrantParents.FATHER
    assert [r["code"] for r in plan.new] == ["SH-001", "SH-002"]


def test_reimport_updates_by_code_or_source_id(app, ctx, make_project):
    make_project("p1")
    project = _project(app)
    rows = [household_row(_uuid="uuid:a"), household_row(_uuid="uuid:b")]
    table = reading.read(csv_bytes(rows), "x.csv")
    mapping = mappings.mapping_for(project, "households", table, {})
    assert importing.apply(project, importing.plan(project, "households", table, mapping)) == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    rows[1]["members"] = "5"
    again = importing.plan(project, "households", reading.read(csv_bytes(rows), "x.csv"), mapping)
    assert again.summary() == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1, "invalid": 0}
    importing.apply(project, again)
    db.session.expire_all()
    households = db.session.scalars(select(Household).order_by(Household.number)).all()
    assert [(h.code, h.source_id, h.members, h.version) for h in households] == [
        ("SH-001", "uuid:a", 4, 1),
        ("SH-002", "uuid:b", 5, 2),
    ]
    by_code = [household_row(code="SH-002", members="6")]
    table = reading.read(csv_bytes(by_code), "x.csv")
    plan = importing.plan(
        project, "households", table, mappings.mapping_for(project, "households", table, {})
    )
    assert plan.summary()["updated"] == 1 and not plan.new
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(events) == 2 and events[0].details["created"] == 2
    assert "uuid:a" not in json.dumps([e.details for e in events])


def test_same_household_twice_in_a_file_is_refused(app, ctx, make_project):
    make_project("p1")
    project = _project(app)
    rows = [household_row(code="SH-007"), household_row(code="SH-7")]
    table = reading.read(csv_bytes(rows), "x.csv")
    plan = importing.plan(
        project, "households", table, mappings.mapping_for(project, "households", table, {})
    )
    assert [p.line for p in plan.problems] == [3]
    assert plan.new[0]["code"] == "SH-007" and plan.new[0]["number"] == 7


def test_facilities_import_and_reimport(app, ctx, make_project):
    make_project("p1")
    project = _project(app)
    rows = [
        {"name": "Town kindergarten", "type": "Kindergarten", "Y": "42.1", "X": "119.5"},
        {"name": "Clinic", "type": "spaceship", "Y": "42.2", "X": "119.6"},
    ]
    table = reading.read(csv_bytes(rows), "f.csv")
    mapping = mappings.mapping_for(project, "facilities", table, {})
    plan = importing.plan(project, "facilities", table, mapping)
    assert [p.line for p in plan.problems] == [3]  # an unknown kind
    importing.apply(project, plan)
    again = importing.plan(project, "facilities", table, mapping)
    assert again.summary()["unchanged"] == 1 and not again.new
    facility = db.session.scalar(select(Facility))
    assert facility.kind == FacilityKind.KINDERGARTEN


# --- the command line ------------------------------------------------------------------------


def test_cli_dry_run_writes_nothing_and_invalid_rows_block(tmp_path):
    from tests.helpers import fresh_app

    app = fresh_app(tmp_path)
    make_project_with_villages(app)
    path = tmp_path / "survey.csv"
    path.write_bytes(csv_bytes([household_row(), household_row(lat="")]))

    def count():
        with app.app_context():
            return db.session.scalar(select(func.count(Household.id)))

    result = run(app, "import", "households", str(path), "--project", "p1", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "line 3: Missing coordinates." in result.output
    assert "1 new" in result.output and count() == 0
    result = run(app, "import", "households", str(path), "--project", "p1")
    assert result.exit_code != 0 and "Nothing imported" in result.output and count() == 0
    result = run(app, "import", "households", str(path), "--project", "p1", "--only-valid")
    assert result.exit_code == 0, result.output
    assert count() == 1


def test_cli_map_option_and_odk_file(tmp_path):
    from tests.helpers import fresh_app

    app = fresh_app(tmp_path)
    make_project_with_villages(app)
    rows = [
        {
            "v": "BY",
            "pt-Latitude": "42.3",
            "pt-Longitude": "119.8",
            "size": "2",
            "meta-instanceID": "uuid:1",
        },
    ]
    path = tmp_path / "odk.csv"
    path.write_bytes(csv_bytes(rows))
    result = run(app, "import", "households", str(path), "--project", "p1")
    assert result.exit_code != 0 and "Village" in result.output  # no column guessed for it
    result = run(
        app,
        "import",
        "households",
        str(path),
        "--project",
        "p1",
        "--map",
        "village=v",
        "--save-mapping",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        household = db.session.scalar(select(Household))
        assert (household.code, household.source_id, household.members) == ("BY-001", "uuid:1", 2)
    # The saved mapping is used next time: no --map needed, and the row is unchanged.
    result = run(app, "import", "households", str(path), "--project", "p1")
    assert result.exit_code == 0, result.output
    assert "1 unchanged" in result.output


def test_a_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    from tests.helpers import fresh_app

    app = fresh_app(tmp_path)
    make_project_with_villages(app)
    path = tmp_path / "survey.csv"
    path.write_bytes(csv_bytes([household_row() for _ in range(12)]))
    original = importing.apply

    def crash(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "apply", crash)
    result = run(app, "import", "households", str(path), "--project", "p1")
    assert isinstance(result.exception, RuntimeError)
    with app.app_context():
        assert db.session.scalar(select(func.count(Household.id))) == 0


@pytest.mark.parametrize("bad", [b"\xff\xfe\x00garbage\x81\x30", b""])
def test_unreadable_files_give_a_message(bad):
    with pytest.raises(reading.ReadError):
        reading.read(bad, "x.csv")
