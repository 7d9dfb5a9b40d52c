"""The GeoJSON endpoints: shapes and properties, bbox and its cap, errors, ETag, gzip, tokens."""

from __future__ import annotations

import gzip
import json
from datetime import date

import pytest

from cbpar.db import db
from cbpar.mapping.models import FacilityKind, FacilityStatus
from cbpar.projects.models import Village
from cbpar.security import Role
from tests.helpers import (
    village_of,
)

API = "/api/v1/projects/p1"


@pytest.fixture
def researcher(client, login, team):
    login(team["users"][Role.RESEARCHER])
    return team


def body_of(response) -> dict:
    raw = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def test_households_feature_collection_for_the_team(app, client, researcher, add_household):
    project = researcher["project"]
    add_household(project, lat=42.3630123456, lon=119.8351298765)
    response = client.get(f"{API}/households.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = body_of(response)
    assert data["type"] == "FeatureCollection" and data["details"] is True
    [feature] = data["features"]
    assert feature["type"] == "Feature" and isinstance(feature["id"], int)
    assert feature["geometry"] == {"type": "Point", "coordinates": [119.83513, 42.36301]}
    assert feature["properties"] == {
        "code": "SH-001",
        "village": "Shuanghe",
        "members": 5,
        "children_under_6": 1,
        "children_6_17": 2,
        "left_behind_children": 3,
        "migrant_parents": "both",
        "caregiver": "grandparents",
    }
    assert b'": ' not in response.data and b", " not in response.data  # compact


def test_names_with_quotes_and_chinese_stay_valid_json(app, client, researcher, add_household):
    project = researcher["project"]
    with app.app_context():
        village = db.session.get(Village, village_of(app, project).id)
        village.name = 'Shuanghe "双河" \\ village'
        db.session.commit()
    add_household(project)
    data = body_of(client.get(f"{API}/households.geojson"))
    assert data["features"][0]["properties"]["village"] == 'Shuanghe "双河" \\ village'


def test_bbox_filters_caps_and_says_so(app, client, researcher, add_household, monkeypatch):
    project = researcher["project"]
    for lat in (42.30, 42.31, 42.32):
        add_household(project, lat=lat, lon=119.90)
    add_household(project, lat=43.5, lon=119.90)  # outside the box
    inside = body_of(client.get(f"{API}/households.geojson?bbox=119.8,42.2,120.0,42.4"))
    assert [f["properties"]["code"] for f in inside["features"]] == ["SH-001", "SH-002", "SH-003"]
    assert inside["truncated"] is False and inside["bbox"] == [119.8, 42.2, 120.0, 42.4]
    monkeypatch.setitem(app.config, "MAP_BBOX_CAP", 2)
    capped = body_of(client.get(f"{API}/households.geojson?bbox=119.8,42.2,120.0,42.4"))
    assert len(capped["features"]) == 2 and capped["truncated"] is True and capped["limit"] == 2
    everything = body_of(client.get(f"{API}/households.geojson"))
    assert len(everything["features"]) == 4 and "truncated" not in everything


def test_bbox_across_the_antimeridian(app, client, researcher, add_household):
    project = researcher["project"]
    add_household(project, lat=-17.8, lon=179.5)
    add_household(project, lat=-17.8, lon=-179.5)
    add_household(project, lat=-17.8, lon=0.0)
    data = body_of(client.get(f"{API}/households.geojson?bbox=179,-18,-179,-17"))
    assert [f["properties"]["code"] for f in data["features"]] == ["SH-001", "SH-002"]


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "0,0,1,1,2", "0,-91,1,1", "-181,0,1,1", "0,10,1,5", "nan,0,1,1", ""],
)
def test_bad_bbox_is_a_400_naming_the_parameter(client, researcher, bbox):
    response = client.get(f"{API}/households.geojson?bbox={bbox}")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "bbox"
    assert response.get_json()["error"] == "bad_request"


def test_etag_gives_304_until_something_changes(app, client, researcher, add_household):
    project = researcher["project"]
    add_household(project)
    first = client.get(f"{API}/households.geojson")
    etag = first.headers["ETag"]
    assert etag and "no-store" not in first.headers["Cache-Control"]
    assert "private" in first.headers["Cache-Control"]
    again = client.get(f"{API}/households.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    add_household(project)
    changed = client.get(f"{API}/households.geojson", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_gzip_only_when_accepted(client, researcher, add_household):
    for _ in range(20):
        add_household(researcher["project"])
    zipped = client.get(f"{API}/households.geojson", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    plain = client.get(f"{API}/households.geojson", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    refused = client.get(f"{API}/households.geojson", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] == plain.headers["ETag"]
    assert len(zipped.data) < len(plain.data) / 3


def test_facilities_geojson(client, researcher, add_facility):
    project = researcher["project"]
    add_facility(project, opened_on=date(2008, 9, 1))
    add_facility(
        project,
        name="Shuanghe Kindergarten",
        status=FacilityStatus.PLANNED,
        capacity=None,
        kind=FacilityKind.KINDERGARTEN,
    )
    data = body_of(client.get(f"{API}/facilities.geojson"))
    props = [f["properties"] for f in data["features"]]
    assert props[0] == {
        "name": "Town Central Kindergarten",
        "kind": "kindergarten",
        "status": "operating",
        "capacity": 180,
        "opened_on": "2008-09-01",
        "village": None,
    }
    assert props[1]["opened_on"] is None and props[1]["status"] == "planned"
    assert data["features"][0]["geometry"]["coordinates"] == [119.92, 42.293]


def test_villages_geojson_has_totals_for_observers(app, client, login, team, add_household):
    project = team["project"]
    with app.app_context():
        village = db.session.get(Village, village_of(app, project).id)
        village.center_lat, village.center_lon = 42.363, 119.835
        db.session.add(Village(project_id=project.id, name="Liangshui", code="LS"))
        db.session.commit()
    add_household(project, children_under_6=2, children_6_17=1, left_behind_children=3)
    add_household(project, children_under_6=0, children_6_17=1, left_behind_children=0)
    login(team["users"][Role.OBSERVER])
    data = body_of(client.get(f"{API}/villages.geojson"))
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    assert by_name["Shuanghe"]["properties"] == {  # small numbers suppressed for observers
        "name": "Shuanghe",
        "code": "SH",
        "households": "<5",
        "children_under_6": "<5",
        "left_behind_children": "<5",
    }
    assert by_name["Shuanghe"]["geometry"]["coordinates"] == [119.835, 42.363]
    assert by_name["Liangshui"]["geometry"] is None
    assert by_name["Liangshui"]["properties"]["households"] == 0


def test_bearer_token_works_without_a_session(app, client, team, add_household):
    from cbpar.auth.services import create_api_token

    add_household(team["project"])
    with app.app_context():
        user = db.session.merge(team["users"][Role.FIELD_WORKER])
        _token, raw = create_api_token(user, "tests")
        db.session.commit()
    response = client.get(f"{API}/households.geojson", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert body_of(response)["features"][0]["properties"]["left_behind_children"] == 3
    assert "Set-Cookie" not in response.headers
