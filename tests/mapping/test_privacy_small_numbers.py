"""Issue 11, item 9: roles without household access get village-level figures only.

Counts from 1 to 4 read "fewer than 5" (JSON and CSV: "<5") for observers, in pages, JSON,
CSV and saved analyses, and what-if distances under 1 km are refused for them. Field roles
keep every figure and any radius. The project (tests/mapping/accessibility_data.py) has two
villages of 3 and 2 households, so every true count here is from 0 to 5.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from cbpar import privacy
from cbpar.privacy import SUPPRESSED, WITHHELD, Audience
from cbpar.security import Role
from tests.mapping.accessibility_data import seed

API = "/api/v1/projects/p1/accessibility"
PAGE = "/projects/p1/analysis"
# The household at 42.30°N, 120°E (3 children under 6) is 33 km from the nearest kindergarten.
HOUSE = "42.30,120.0"


@pytest.fixture
def data(app, team):
    return seed(app, team["project"])


def what_if(km: str) -> MultiDict:
    return MultiDict(
        [("kind", "kindergarten"), ("within_km", km), ("as_of", "2024-01-01"), ("candidate", HOUSE)]
    )


def small_numbers_in(html: str) -> list[str]:
    """Figures from 1 to 4 in table cells, figure boxes and histogram counts of a page."""
    cells = re.findall(
        r'<(?:td class="num"|dd data-figure="\w+"|span class="count")>([^<]*)<', html
    )
    return [c for c in cells if c.strip() in {"1", "2", "3", "4"}]


# --- the rule itself ---------------------------------------------------------------------------


def test_suppress_keeps_zero_and_five_and_hides_one_to_four():
    assert [privacy.suppress(n, Audience.PUBLIC) for n in (0, 1, 4, 5, 12)] == [
        0,
        SUPPRESSED,
        SUPPRESSED,
        5,
        12,
    ]
    assert [privacy.suppress(n, Audience.FIELD) for n in (1, 4)] == [1, 4]
    assert [privacy.suppress(n, Audience.COMMITTEE) for n in (1, 4)] == [1, 4]


def test_one_small_part_of_a_shown_total_hides_one_more():
    # 3 + 40 + 12 = 55: with 3 hidden alone, 55 - 40 - 12 would give it back.
    assert privacy.suppress_column([3, 40, 12, 0], Audience.PUBLIC) == [SUPPRESSED, 40, WITHHELD, 0]
    # 1 + 1 hidden: their sum 2 would pin both to 1.
    assert privacy.suppress_column([1, 1, 9], Audience.PUBLIC) == [SUPPRESSED, SUPPRESSED, WITHHELD]
    # 2 + 3 hidden could be 1 + 4 or 2 + 3 ...: nothing more to hide.
    assert privacy.suppress_column([2, 3, 9], Audience.PUBLIC) == [SUPPRESSED, SUPPRESSED, 9]
    assert privacy.suppress_column([3, 40], Audience.FIELD) == [3, 40]


def test_bands_on_both_sides_of_the_distance_hide_enough():
    # Bands under 5 km add up to the households within it, the rest to those beyond: both
    # sums are shown, so each side needs its own second hidden figure.
    counts, near, far = [10, 20, 7, 3, 8], [0, 1, 2], [3, 4]
    shown = privacy.suppress_linked(counts, [range(5), near, far], Audience.PUBLIC)
    assert shown == [10, 20, WITHHELD, SUPPRESSED, WITHHELD]


def test_hidden_figures_read_as_words_in_pages_and_as_tokens_in_json(ctx):
    from markupsafe import escape

    assert str(escape(SUPPRESSED)) == "fewer than 5"
    assert str(escape(WITHHELD)) == "not shown"
    import json

    assert json.dumps([SUPPRESSED, WITHHELD]) == '["<5", "hidden"]'


def test_audience_follows_the_capabilities(team):
    from cbpar.projects.models import Membership

    expected = {
        Role.COORDINATOR: Audience.FIELD,
        Role.RESEARCHER: Audience.FIELD,
        Role.FIELD_WORKER: Audience.FIELD,
        Role.COMMITTEE: Audience.COMMITTEE,
        Role.OBSERVER: Audience.PUBLIC,
    }
    for role, audience in expected.items():
        assert privacy.audience_of(Membership(role=role)) is audience
    assert privacy.audience_of(None) is Audience.PUBLIC


# --- the what-if ---------------------------------------------------------------------------------


def test_observer_what_if_of_10_m_is_refused(client, login, team, data):
    login(team["users"][Role.OBSERVER])
    response = client.get(API, query_string=what_if("0.01"))
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == "within_km" and "1 km" in body["message"]
    assert "households_beyond" not in body
    points = client.get(API + "/points", query_string=what_if("0.01"))
    assert points.status_code == 400

    page = client.get(PAGE, query_string=what_if("0.01"))
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'id="within_km-error"' in html and "at least 1 km" in html
    assert 'id="candidates"' not in html and "data-figure" not in html
    assert 'min="1.0"' in html


def test_observer_what_if_of_1_km_shows_fewer_than_5(client, login, team, data):
    login(team["users"][Role.OBSERVER])
    body = client.get(API, query_string=what_if("1")).get_json()
    [candidate] = body["candidates"]
    # True figures: 1 household, 3 children under 6, 0 left-behind children.
    assert candidate["households_newly_within"] == "<5"
    assert candidate["children_under_6_newly_within"] == "<5"
    assert candidate["left_behind_children_newly_within"] == 0
    assert body["households"] == 5  # five or more is shown
    assert body["small_numbers_suppressed"] is True
    for row in body["by_village"]:  # Shuanghe 3, Liangshui 2 households
        assert row["households"] == "<5" and row["households_beyond"] == "<5"
    assert {band["households"] for band in body["histogram"]} <= {0, "<5", "hidden"}

    html = client.get(PAGE, query_string=what_if("1")).get_data(as_text=True)
    assert ">fewer than 5<" in html and 'id="suppression-note"' in html
    assert small_numbers_in(html) == []


def test_field_roles_keep_every_figure_and_any_radius(client, login, team, data):
    login(team["users"][Role.FIELD_WORKER])
    body = client.get(API, query_string=what_if("1")).get_json()
    assert body["candidates"][0]["households_newly_within"] == 1
    assert body["candidates"][0]["children_under_6_newly_within"] == 3
    assert "small_numbers_suppressed" not in body
    assert client.get(API, query_string=what_if("0.01")).status_code == 200
    html = client.get(PAGE, query_string=what_if("0.01")).get_data(as_text=True)
    assert ">fewer than 5<" not in html and 'id="candidates"' in html


def test_committee_sees_points_so_figures_are_not_suppressed(client, login, team, data):
    login(team["users"][Role.COMMITTEE])
    body = client.get(API, query_string=what_if("1")).get_json()
    assert body["candidates"][0]["households_newly_within"] == 1


def test_saved_analysis_is_suppressed_for_observers(client, login, team, data):
    login(team["users"][Role.RESEARCHER])
    form = what_if("0.5")
    form.add("name", "Small circle")
    response = client.post(PAGE, data=form)
    assert response.status_code == 302
    saved_url = response.headers["Location"]
    assert ">fewer than 5<" not in client.get(saved_url).get_data(as_text=True)
    client.post("/logout")

    login(team["users"][Role.OBSERVER])
    html = client.get(saved_url).get_data(as_text=True)
    assert ">fewer than 5<" in html
    assert small_numbers_in(html) == []
    # A what-if radius under 1 km is not shown to roles without household access at all.
    assert 'id="candidates"' not in html and 'id="candidates-withheld"' in html


# --- village totals everywhere -----------------------------------------------------------------


def test_village_totals_are_suppressed_for_observers_in_every_format(client, login, team, data):
    login(team["users"][Role.OBSERVER])
    villages = client.get("/api/v1/projects/p1/villages.geojson").get_json()
    for feature in villages["features"]:
        for name in ("households", "children_under_6", "left_behind_children"):
            assert feature["properties"][name] in (0, "<5", "hidden")

    html = client.get("/projects/p1/households").get_data(as_text=True)
    assert ">fewer than 5<" in html and small_numbers_in(html) == []

    csv_text = client.get("/projects/p1/export/households.csv").get_data(as_text=True)
    rows = [line.split(",") for line in csv_text.strip().splitlines()[1:]]
    assert rows and "<5" in rows[0]
    assert not {"1", "2", "3", "4"} & {cell for row in rows for cell in row[1:]}
    geo = client.get("/projects/p1/export/households.geojson").get_json()
    assert {f["properties"]["households"] for f in geo["features"]} <= {0, "<5", "hidden"}


def test_the_report_never_shows_one_to_four(client, login, team, data):
    # The report is for handing out: suppressed whoever prints it.
    login(team["users"][Role.COORDINATOR])
    html = client.get("/projects/p1/report").get_data(as_text=True)
    assert ">fewer than 5<" in html
    assert not re.search(r'<td class="num">\s*[1-4]\s*</td>', html)
    assert not re.search(r"\((?:1|2|3|4)\)</text>", html)  # village labels on the map
    markdown = client.get("/projects/p1/report.md").get_data(as_text=True)
    table_cells = re.findall(r"\|\s*([^|]*?)\s*(?=\|)", markdown)
    assert "fewer than 5" in table_cells
    assert not {"1", "2", "3", "4"} & set(table_cells)
