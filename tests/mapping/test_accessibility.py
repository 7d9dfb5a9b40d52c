"""GET /api/v1/projects/<slug>/accessibility: parameters, the as-of rule, candidates, roles."""

from __future__ import annotations

import pytest

from cbpar.mapping import geo
from cbpar.security import Role
from tests.mapping.accessibility_data import seed

URL = "/api/v1/projects/p1/accessibility"


@pytest.fixture
def data(app, team):
    return seed(app, team["project"])


@pytest.fixture
def as_researcher(login, team, data):
    login(team["users"][Role.RESEARCHER])


def get(client, **params):
    return client.get(URL, query_string=params)


def test_counts_beyond_5_km(client, as_researcher):
    response = get(client, kind="kindergarten", within_km="5", as_of="2024-01-01")
    assert response.status_code == 200
    body = response.get_json()
    assert body["kind"] == "kindergarten"
    assert body["within_km"] == 5.0
    assert body["as_of"] == "2024-01-01"
    assert "6371.0088" in body["method"] and "great-circle" in body["method"]
    assert body["households"] == 5
    # K1 (42.00) and K2 (43.00) count; K3 is planned, K4 closed, the clinic another kind.
    assert body["facilities_counted"] == 2
    assert (
        body["households_beyond"],
        body["children_under_6_beyond"],
        body["left_behind_children_beyond"],
    ) == (3, 4, 3)
    by_village = {row["village"]: row for row in body["by_village"]}
    assert by_village["Shuanghe"]["households"] == 3
    assert by_village["Shuanghe"]["households_beyond"] == 1
    assert by_village["Shuanghe"]["children_under_6_beyond"] == 1
    assert by_village["Shuanghe"]["left_behind_children_beyond"] == 2
    assert by_village["Liangshui"]["households_beyond"] == 2
    assert by_village["Liangshui"]["children_under_6_beyond"] == 3
    assert by_village["Liangshui"]["left_behind_children_beyond"] == 1
    bands = {(b["from_km"], b["to_km"]): b["households"] for b in body["histogram"]}
    assert bands[(1.0, 2.0)] == 1  # 1.11 km
    assert bands[(3.0, 5.0)] == 1  # 4.45 km
    assert bands[(10.0, 15.0)] == 1  # 11.12 km
    assert bands[(20.0, 30.0)] == 1  # 22.24 km
    assert bands[(30.0, None)] == 1  # 33.36 km
    assert body["candidates"] == []


def test_larger_distance_counts_fewer(client, as_researcher):
    body = get(client, kind="kindergarten", within_km="12", as_of="2024-01-01").get_json()
    assert body["households_beyond"] == 2


def test_as_of_ignores_facilities_opened_later(client, as_researcher):
    body = get(client, kind="kindergarten", within_km="5", as_of="2020-08-31").get_json()
    # K1 opened on 2020-09-01; only K2 (no opening date: always open) counts, 111 km away.
    assert body["facilities_counted"] == 1
    assert body["households_beyond"] == 5
    assert body["children_under_6_beyond"] == 7
    assert body["left_behind_children_beyond"] == 4
    on_the_day = get(client, kind="kindergarten", within_km="5", as_of="2020-09-01").get_json()
    assert on_the_day["facilities_counted"] == 2
    assert on_the_day["households_beyond"] == 3


def test_as_of_defaults_to_today(client, as_researcher):
    body = get(client, kind="kindergarten", within_km="5").get_json()
    assert body["as_of"]  # the project's today
    assert body["facilities_counted"] == 2


def test_kind_selects_facilities(client, as_researcher):
    body = get(client, kind="clinic", within_km="5").get_json()
    assert body["facilities_counted"] == 1
    assert body["households_beyond"] == 4  # only 42.20 is within 5 km of the clinic
    none = get(client, kind="library", within_km="5").get_json()
    assert none["facilities_counted"] == 0
    assert none["households_beyond"] == 5
    assert none["histogram"][-1]["households"] == 5


def test_candidates(client, as_researcher):
    response = client.get(
        URL,
        query_string=[
            ("kind", "kindergarten"),
            ("within_km", "5"),
            ("as_of", "2024-01-01"),
            ("candidate", "42.20,120.0"),
            ("candidate", "42.25,120.0"),
            ("candidate", "42.04,120.0"),
        ],
    )
    assert response.status_code == 200
    candidates = response.get_json()["candidates"]
    assert [(c["lat"], c["lon"]) for c in candidates] == [
        (42.2, 120.0),
        (42.25, 120.0),
        (42.04, 120.0),
    ]
    counts = [
        (
            c["households_newly_within"],
            c["children_under_6_newly_within"],
            c["left_behind_children_newly_within"],
        )
        for c in candidates
    ]
    # 42.20 reaches the household there (22 km away today) only: 42.10 and 42.30 are 11 km off.
    # 42.25 is 5.56 km from 42.20 and 42.30: neither; 42.04 reaches nobody new.
    assert counts == [(1, 0, 1), (0, 0, 0), (0, 0, 0)]
    wider = client.get(
        URL, query_string={"kind": "kindergarten", "within_km": "6", "candidate": "42.25,120"}
    ).get_json()
    assert wider["candidates"][0]["households_newly_within"] == 2
    assert wider["candidates"][0]["children_under_6_newly_within"] == 3


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"within_km": "5"}, "kind"),
        ({"kind": "castle", "within_km": "5"}, "kind"),
        ({"kind": "kindergarten"}, "within_km"),
        ({"kind": "kindergarten", "within_km": "five"}, "within_km"),
        ({"kind": "kindergarten", "within_km": "0"}, "within_km"),
        ({"kind": "kindergarten", "within_km": "-3"}, "within_km"),
        ({"kind": "kindergarten", "within_km": "nan"}, "within_km"),
        ({"kind": "kindergarten", "within_km": "inf"}, "within_km"),
        ({"kind": "kindergarten", "within_km": "5000"}, "within_km"),
        ({"kind": "kindergarten", "within_km": "5", "as_of": "2024-02-30"}, "as_of"),
        ({"kind": "kindergarten", "within_km": "5", "as_of": "yesterday"}, "as_of"),
        ({"kind": "kindergarten", "within_km": "5", "candidate": "42.1"}, "candidate"),
        ({"kind": "kindergarten", "within_km": "5", "candidate": "91,120"}, "candidate"),
        ({"kind": "kindergarten", "within_km": "5", "candidate": "42,181"}, "candidate"),
        ({"kind": "kindergarten", "within_km": "5", "candidate": "a,b"}, "candidate"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(client, as_researcher, params, parameter):
    response = get(client, **params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter
    assert body["message"]


def test_more_than_three_candidates_is_refused(client, as_researcher):
    query = [("kind", "kindergarten"), ("within_km", "5")]
    query += [("candidate", f"42.{i},120") for i in range(4)]
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "candidate"


@pytest.mark.parametrize("role", list(Role))
def test_every_member_gets_aggregates_only(client, login, team, data, role):
    login(team["users"][role])
    response = get(client, kind="kindergarten", within_km="5", as_of="2024-01-01")
    assert response.status_code == 200
    body = response.get_json()
    # Observers see small numbers suppressed (cbpar/privacy.py): 3 reads "<5".
    assert body["households_beyond"] == ("<5" if role == Role.OBSERVER else 3)
    text = response.get_data(as_text=True)
    assert "SH-001" not in text and '"code"' not in text  # no household rows


def test_outsider_gets_404_and_anonymous_401(client, login, team, data):
    assert get(client, kind="kindergarten", within_km="5").status_code == 401
    login(team["outsider"])
    assert get(client, kind="kindergarten", within_km="5").status_code == 404


@pytest.mark.parametrize(
    ("role", "with_points"),
    [
        (Role.COORDINATOR, True),
        (Role.RESEARCHER, True),
        (Role.FIELD_WORKER, True),
        (Role.COMMITTEE, True),
        (Role.OBSERVER, False),
    ],
)
def test_points_for_colouring_follow_the_points_capability(
    client, login, team, data, role, with_points
):
    login(team["users"][role])
    response = client.get(
        URL + "/points",
        query_string={"kind": "kindergarten", "within_km": "5", "as_of": "2024-01-01"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert sorted(f["name"] for f in body["facilities"]) == ["K1", "K2"]
    if with_points:
        distances = sorted(row[2] for row in body["households"])
        expected = sorted(
            geo.haversine_km(lat, 120.0, 42.0, 120.0) for lat in (42.01, 42.04, 42.1, 42.2, 42.3)
        )
        # Committee members get points and distances rounded to about 10 m.
        tolerance = 0.0051 if role == Role.COMMITTEE else 1e-3
        assert distances == pytest.approx(expected, abs=tolerance)
        assert all(
            len(row) == 3 for row in body["households"]
        )  # a point and a distance, no details
    else:
        assert body["households"] is None


def test_one_query_per_table(client, as_researcher, app):
    from sqlalchemy import event

    from cbpar.db import db

    statements = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        statements.append(_args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert get(client, kind="kindergarten", within_km="5").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # membership check (user, project+membership) plus villages, households, facilities.
    assert len(selects) <= 6, selects


def test_etag_304_and_gzip(client, as_researcher):
    query = {"kind": "kindergarten", "within_km": "5", "as_of": "2024-01-01"}
    first = client.get(URL, query_string=query, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    assert first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    again = client.get(URL, query_string=query, headers={"If-None-Match": etag})
    assert again.status_code == 304
