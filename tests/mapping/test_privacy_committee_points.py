"""Issue 11, item 10: committee members get household points without codes or ids, rounded to
4 decimals (about 10 m), in every format; field roles get everything as before."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest

from cbpar.security import Role

LAT, LON = 42.3630123456, 119.8351298765
GEOJSON = "/api/v1/projects/p1/households.geojson"
EXPORT = "/projects/p1/export/households"
POINTS = "/api/v1/projects/p1/accessibility/points"


@pytest.fixture
def household(app, team, add_household):
    return add_household(team["project"], lat=LAT, lon=LON)


def body_of(response) -> dict:
    raw = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def decimals(value) -> int:
    text = str(value)
    return len(text.split(".", 1)[1]) if "." in text else 0


def keys_everywhere(obj) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in keys_everywhere(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in keys_everywhere(v)}
    return set()


def test_committee_geojson_has_no_code_or_id_and_rounded_points(client, login, team, household):
    login(team["users"][Role.COMMITTEE])
    for url in (GEOJSON, GEOJSON + "?bbox=119,42,121,43"):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        data = body_of(response)
        [feature] = data["features"]
        assert "id" not in feature and "code" not in keys_everywhere(feature)
        assert feature["properties"] == {"village": "Shuanghe"}
        lon, lat = feature["geometry"]["coordinates"]
        assert (lon, lat) == (119.8351, 42.363)
        assert decimals(lon) <= 4 and decimals(lat) <= 4
        assert "SH-001" not in json.dumps(data)


def test_committee_exports_have_no_code_or_id_and_rounded_points(client, login, team, household):
    login(team["users"][Role.COMMITTEE])
    text = client.get(f"{EXPORT}.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["village", "lat", "lon"]
    assert rows[1] == ["Shuanghe", "42.3630", "119.8351"]
    assert "SH-001" not in text
    data = json.loads(client.get(f"{EXPORT}.geojson").data)
    [feature] = data["features"]
    assert "id" not in feature and "code" not in keys_everywhere(feature)
    assert all(decimals(c) <= 4 for c in feature["geometry"]["coordinates"])


def test_committee_distance_points_are_rounded(client, login, team, household):
    login(team["users"][Role.COMMITTEE])
    body = client.get(POINTS, query_string={"kind": "kindergarten", "within_km": "5"}).get_json()
    [[lat, lon, _km]] = body["households"]
    assert decimals(lat) <= 4 and decimals(lon) <= 4


def test_field_workers_still_get_codes_ids_and_full_precision(client, login, team, household):
    login(team["users"][Role.FIELD_WORKER])
    [feature] = body_of(client.get(GEOJSON))["features"]
    assert isinstance(feature["id"], int) and feature["properties"]["code"] == "SH-001"
    assert feature["geometry"]["coordinates"] == [119.83513, 42.36301]
    rows = list(csv.reader(io.StringIO(client.get(f"{EXPORT}.csv").get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["code", "village", "lat", "lon"]
    assert rows[1][:4] == ["SH-001", "Shuanghe", "42.36301", "119.83513"]
    body = client.get(POINTS, query_string={"kind": "kindergarten", "within_km": "5"}).get_json()
    assert body["households"][0][:2] == [42.363012, 119.83513]


def test_observer_gets_no_points_at_all(client, login, team, household):
    login(team["users"][Role.OBSERVER])
    assert client.get(GEOJSON).status_code == 403
    text = client.get(f"{EXPORT}.csv").get_data().decode("utf-8-sig")
    assert "lat" not in text.splitlines()[0] and "SH-001" not in text
