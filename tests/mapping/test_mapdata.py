"""The map's data built once per change: the version moves with every write path, the cached
bodies follow changes made by another app, never mix audiences, and answer 304 by version."""

from __future__ import annotations

import gzip
import json

import pytest
from sqlalchemy import insert, select, text, update

from cbpar.db import db
from cbpar.mapping import data_version, mapdata
from cbpar.mapping.models import Facility, FacilityKind, Household
from cbpar.projects.models import Project, Village
from cbpar.transfer import erasure, importing, mappings, reading
from tests.helpers import HOUSEHOLD, as_user, csv_bytes, fresh_app, household_row

GEOJSON = "/api/v1/projects/demo/households.geojson"
POINTS = "/api/v1/projects/demo/households.points.json"


def body_of(response) -> dict:
    raw = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def demo_client(app, username: str):
    c = app.test_client()
    response = c.post("/login", data={"username": username, "password": "demo-password"})
    assert response.status_code == 302, f"log-in as {username} failed"
    return c


# --- the version moves with every way of writing -----------------------------------------------


def _version(project_id: int) -> int:
    """The stored version. On PostgreSQL the triggers bump it once per transaction and a test
    runs in one: forget which transaction bumped it, so the next write bumps it again."""
    row = data_version.MapDataVersion
    found = db.session.execute(select(row.version).where(row.project == project_id)).scalar()
    assert found is not None, "the project has no map data version"
    if db.engine.dialect.name == "postgresql":
        db.session.execute(update(row).values(last_xact=None))
    return found


@pytest.fixture
def project(app, ctx, make_project) -> Project:
    make_project("p1")
    return db.session.scalar(select(Project).where(Project.slug == "p1"))


def test_a_new_project_has_a_version(project):
    assert isinstance(_version(project.id), int)


def test_import_bumps_the_version(project):
    before = _version(project.id)
    rows = [household_row(_uuid="uuid:a"), household_row(_uuid="uuid:b")]
    table = reading.read(csv_bytes(rows), "x.csv")
    mapping = mappings.mapping_for(project, "households", table, {})
    importing.apply(project, importing.plan(project, "households", table, mapping))
    after = _version(project.id)
    assert after != before
    rows[1]["members"] = "9"
    table = reading.read(csv_bytes(rows), "x.csv")
    again = importing.plan(project, "households", table, mapping)
    assert again.summary()["updated"] == 1
    importing.apply(project, again)
    assert _version(project.id) != after, "a re-import that updates must bump it too"


def test_erasure_bumps_the_version(project, make_user, add_household):
    household = add_household(project)
    before = _version(project.id)
    erasure.erase_household(db.session.get(Household, household.id), make_user("eraser"))
    db.session.flush()
    assert _version(project.id) != before


def test_core_statements_raw_sql_and_village_or_facility_changes_bump_it(project):
    village = db.session.scalar(select(Village).where(Village.project_id == project.id))
    seen = [_version(project.id)]

    def changed() -> None:
        db.session.flush()
        now = _version(project.id)
        assert now not in seen
        seen.append(now)

    row = {"project_id": project.id, "village_id": village.id, "lat": 42.3, "lon": 119.8}
    db.session.execute(insert(Household), [{**row, "number": 7, "code": "SH-007"}])
    changed()
    db.session.execute(update(Household).where(Household.code == "SH-007").values(lat=42.31))
    changed()
    db.session.execute(text("UPDATE household SET lon = 119.9 WHERE code = 'SH-007'"))
    changed()
    village.name = "Renamed"
    changed()
    db.session.add(
        Facility(
            project_id=project.id, name="K", kind=FacilityKind.KINDERGARTEN, lat=42.3, lon=119.8
        )
    )
    changed()
    db.session.execute(text("DELETE FROM household WHERE code = 'SH-007'"))
    changed()


def test_another_projects_writes_leave_the_version_alone(project, make_project, add_household):
    make_project("p2")
    other = db.session.scalar(select(Project).where(Project.slug == "p2"))
    before = _version(project.id)
    add_household(other)
    assert _version(project.id) == before


def test_api_writes_bump_the_version(app, client, team):
    def version() -> int:
        with app.app_context():
            found = _version(team["project"].id)
            db.session.commit()
            return found

    c = as_user(app, "field_worker")
    before = version()
    made = c.post("/api/v1/projects/p1/households", json=HOUSEHOLD)
    assert made.status_code == 201
    created = version()
    assert created != before
    url = f"/api/v1/households/{made.get_json()['id']}"
    assert c.put(url, json={"version": 1, "lat": 42.4}).status_code == 200
    assert version() != created


# --- the cache: two app processes, three audiences, 304 ----------------------------------------


def test_a_change_through_a_second_app_is_seen_by_the_first(tmp_path):
    first = fresh_app(tmp_path, demo=True)
    second = fresh_app(tmp_path, demo=True)  # another "process": same database file
    c1 = demo_client(first, "researcher")
    before = body_of(c1.get(GEOJSON))
    assert body_of(c1.get(GEOJSON)) == before
    with first.app_context():
        assert mapdata.cache().builds == 1, "the second request was rebuilt"
    target = before["features"][0]
    c2 = demo_client(second, "researcher")
    url = f"/api/v1/households/{target['id']}"
    current = c2.get(url).get_json()
    moved = c2.put(url, json={"version": current["version"], "members": 17})
    assert moved.status_code == 200
    after = body_of(c1.get(GEOJSON))
    changed = next(f for f in after["features"] if f["id"] == target["id"])
    assert changed["properties"]["members"] == 17
    before_points = body_of(c1.get(POINTS))
    with first.app_context():
        db.session.execute(
            text("UPDATE household SET lat = 10.0 WHERE id = :i"), {"i": target["id"]}
        )
        db.session.commit()
    moved_points = body_of(demo_client(second, "researcher").get(POINTS))
    assert _decoded(moved_points) != _decoded(before_points)
    assert any(lat == 10.0 for _v, _lon, lat, *_ in _decoded(moved_points))


def test_audiences_never_share_a_body(tmp_path):
    app = fresh_app(tmp_path, demo=True)
    committee = demo_client(app, "committee1")
    field = demo_client(app, "fieldworker")
    observer = demo_client(app, "observer")
    for url in (GEOJSON, POINTS):
        seen = body_of(committee.get(url))  # the committee's body is built first
        if url == GEOJSON:
            assert all(set(f) == {"type", "geometry", "properties"} for f in seen["features"])
            assert all(set(f["properties"]) == {"village"} for f in seen["features"])
        else:
            assert "style" not in seen and seen["scale"] == 10**4, "committee: details"
        if url == GEOJSON:
            codes = [f["properties"]["code"] for f in body_of(field.get(url))["features"]]
            assert codes and all(codes), "the field body lost its codes"
        else:
            assert "style" in body_of(field.get(url)), "the field body lost its details"
        assert observer.get(url).status_code in (403, 404)
        assert body_of(committee.get(url)) == seen
    with app.app_context():
        audiences = {key[2] for key in mapdata.cache().entries}
    assert audiences == {"committee", "field"}


def test_304_for_the_right_etag_only(tmp_path):
    app = fresh_app(tmp_path, demo=True)
    c = demo_client(app, "researcher")
    for url in (GEOJSON, POINTS):
        first = c.get(url)
        etag = first.headers["ETag"]
        assert c.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert c.get(url, headers={"If-None-Match": 'W/"md-x"'}).status_code == 200
    committee = demo_client(app, "committee1")
    assert committee.get(GEOJSON, headers={"If-None-Match": etag}).status_code == 200
    with app.app_context():
        db.session.execute(text("UPDATE village SET name = name || ' (new)'"))
        db.session.commit()
    assert c.get(POINTS, headers={"If-None-Match": etag}).status_code == 200


def _decoded(points: dict) -> list[tuple]:
    lat = lon = 0
    rows = []
    for i in range(points["count"]):
        lat += points["lat"][i]
        lon += points["lon"][i]
        village = points["villages"][points["village"][i]]["name"]
        style = (points["style"][i],) if "style" in points else ()
        rows.append((village, lon / points["scale"], lat / points["scale"], *style))
    return sorted(rows)


def test_compact_points_decode_to_the_geojson(tmp_path):
    app = fresh_app(tmp_path, demo=True)
    for username in ("researcher", "committee1"):
        c = demo_client(app, username)
        features = body_of(c.get(GEOJSON))["features"]
        points = body_of(c.get(POINTS))
        assert points["format"] == "cbpar-points" and points["count"] == len(features)
        expected = []
        for f in features:
            p = f["properties"]
            style = ()
            if "left_behind_children" in p:
                left, under_6 = p["left_behind_children"] or 0, p["children_under_6"] or 0
                style = ((left > 0) + 2 * min(under_6, 4),)
            expected.append((p["village"], *f["geometry"]["coordinates"], *style))
        assert _decoded(points) == sorted(expected), username


def test_analysis_points_are_cached_by_version(tmp_path):
    app = fresh_app(tmp_path, demo=True)
    c = demo_client(app, "researcher")
    url = "/api/v1/projects/demo/accessibility/points?kind=kindergarten&within_km=5"
    first = c.get(url)
    assert first.status_code == 200 and body_of(first)["households"]
    assert c.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    with app.app_context():
        builds = mapdata.cache().builds
    assert body_of(c.get(url)) == body_of(first)
    with app.app_context():
        assert mapdata.cache().builds == builds
