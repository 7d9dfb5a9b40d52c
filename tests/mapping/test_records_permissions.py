"""Who may see and change households and facilities: each role against each page and endpoint.

Committee members see household points (code and village) on the map and per-village totals;
observers see per-village totals only. Neither ever sees a household's details.
"""

from __future__ import annotations

import gzip

import pytest

from cbpar.security import Role
from tests.helpers import (
    SECRET_NOTE,
    VALID_FACILITY,
)

TEAM = {Role.COORDINATOR, Role.RESEARCHER, Role.FIELD_WORKER}
EVERYONE = set(Role)
SENSITIVE_NAMES = (
    "left_behind_children",
    "children_under_6",
    "children_6_17",
    "migrant_parents",
    "caregiver",
    "consent_given_by",
    "notes",
    SECRET_NOTE,
)

# (method, url template, roles allowed, status when allowed)
ENDPOINTS = [
    ("GET", "/projects/p1/households", EVERYONE, 200),
    ("GET", "/projects/p1/households/{hid}", TEAM, 200),
    ("GET", "/projects/p1/households/new", TEAM, 200),
    ("GET", "/projects/p1/households/{hid}/edit", TEAM, 200),
    ("POST", "/projects/p1/households/{hid}/delete", TEAM, 302),
    ("GET", "/projects/p1/households.csv", TEAM, 200),
    ("GET", "/projects/p1/facilities", EVERYONE, 200),
    ("GET", "/projects/p1/facilities/{fid}", EVERYONE, 200),
    ("GET", "/projects/p1/facilities/new", TEAM, 200),
    ("POST", "/projects/p1/facilities/new", TEAM, 302),
    ("GET", "/projects/p1/facilities/{fid}/edit", TEAM, 200),
    ("POST", "/projects/p1/facilities/{fid}/delete", TEAM, 302),
    ("GET", "/projects/p1/facilities.csv", EVERYONE, 200),
    ("GET", "/api/v1/projects/p1/households.geojson", TEAM | {Role.COMMITTEE}, 200),
    ("GET", "/api/v1/projects/p1/facilities.geojson", EVERYONE, 200),
    ("GET", "/api/v1/projects/p1/villages.geojson", EVERYONE, 200),
]


@pytest.fixture
def records(team, add_household, add_facility):
    household = add_household(team["project"], consent_given_by="grandmother")
    facility = add_facility(team["project"])
    return {"hid": household.id, "fid": facility.id}


def call(client, method: str, url: str):
    if method == "POST":
        return client.post(url, data=VALID_FACILITY)
    return client.get(url, headers={"Accept-Encoding": "identity"})


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize(
    ("method", "template", "allowed", "status"),
    ENDPOINTS,
    ids=[f"{m} {t.split('/p1/')[1]}" for m, t, _a, _s in ENDPOINTS],
)
def test_role_matrix(client, login, team, records, role, method, template, allowed, status):
    login(team["users"][role])
    response = call(client, method, template.format(**records))
    expected = status if role in allowed else 403
    assert response.status_code == expected
    if role in (Role.COMMITTEE, Role.OBSERVER) and "villages.geojson" not in template:
        body = response.get_data(as_text=True)
        # Facility records have their own (not sensitive) notes column.
        names = [n for n in SENSITIVE_NAMES if not ("facilit" in template and n == "notes")]
        leaked = [name for name in names if name in body]
        assert leaked == [], f"{role.value} sees {leaked} at {template}"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_outsiders_get_404_and_anonymous_users_must_log_in(client, login, team, records, method):
    for _m, template, _a, _s in [e for e in ENDPOINTS if e[0] == method]:
        url = template.format(**records)
        anonymous = call(client, method, url)
        if url.startswith("/api/"):
            assert anonymous.status_code == 401
        else:
            assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(team["outsider"])
    for _m, template, _a, _s in [e for e in ENDPOINTS if e[0] == method]:
        assert call(client, method, template.format(**records)).status_code == 404


def test_committee_sees_points_with_village_only(client, login, team, records):
    login(team["users"][Role.COMMITTEE])
    data = client.get("/api/v1/projects/p1/households.geojson").get_json()
    [feature] = data["features"]
    assert set(feature["properties"]) == {"village"}  # no code (issue 11, item 10)
    assert "id" not in feature and data["details"] is False
    assert feature["geometry"]["type"] == "Point"


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.OBSERVER])
def test_households_page_shows_only_village_totals(client, login, team, records, role):
    login(team["users"][role])
    response = client.get("/projects/p1/households")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Totals per village" in page
    assert "SH-001" not in page and "/households/" not in page
    assert "Download CSV" not in page and "Add household" not in page


def test_team_sees_details_everywhere(client, login, team, records):
    login(team["users"][Role.FIELD_WORKER])
    page = client.get(f"/projects/p1/households/{records['hid']}").get_data(as_text=True)
    assert SECRET_NOTE in page and "grandmother" in page
    api = client.get("/api/v1/projects/p1/households.geojson", headers={"Accept-Encoding": "gzip"})
    raw = gzip.decompress(api.data) if api.headers.get("Content-Encoding") else api.data
    assert b"left_behind_children" in raw and b"caregiver" in raw
    assert SECRET_NOTE not in raw.decode()  # notes never go to the map
    csv_text = client.get("/projects/p1/households.csv").get_data(as_text=True)
    assert SECRET_NOTE in csv_text


def test_nav_links_follow_capabilities(client, login, team, records):
    login(team["users"][Role.OBSERVER])
    page = client.get("/projects/p1/facilities").get_data(as_text=True)
    assert 'href="/projects/p1/households"' in page and 'href="/projects/p1/facilities"' in page
    assert "Add facility" not in page
    client.post("/logout")
    login(team["users"][Role.FIELD_WORKER])
    page = client.get("/projects/p1/facilities").get_data(as_text=True)
    assert "Add facility" in page
