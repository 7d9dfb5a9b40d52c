"""The household form asks before saving answers that look inconsistent, and "unknown / not
asked" is an answer of its own, kept as such by the pages, the import and every export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from cbpar.db import db
from cbpar.mapping.models import Caregiver, Household, MigrantParents
from cbpar.projects.models import Village
from cbpar.security import Role
from cbpar.transfer import importing, mappings, reading
from tests.helpers import VALID_HOUSEHOLD, csv_bytes, fetch, household_row, village_of

BASE = "/projects/p1"
NEW = f"{BASE}/households/new"
SAVE_ANYWAY = {"save_anyway": "y"}


@pytest.fixture
def field_worker(team, login):
    login(team["users"][Role.FIELD_WORKER])
    return team


def households(app) -> list[Household]:
    return fetch(app, select(Household).order_by(Household.id))


def form(app, team, **changes) -> dict[str, str]:
    village = village_of(app, team["project"])
    return {**VALID_HOUSEHOLD, "village_id": str(village.id), **changes}


def set_village_centre(app, team, lat: float, lon: float) -> None:
    with app.app_context():
        village = db.session.get(Village, village_of(app, team["project"]).id)
        village.center_lat, village.center_lon = lat, lon
        db.session.commit()


INCONSISTENT = {
    "left-behind but nobody away": (
        {"left_behind_children": "2", "migrant_parents": "none", "caregiver": "grandparents"},
        "neither parent is said to work away",
    ),
    "parents care but both away": (
        {"migrant_parents": "both", "caregiver": "parents"},
        "both parents work away",
    ),
}


@pytest.mark.parametrize("case", sorted(INCONSISTENT))
def test_inconsistent_answers_warn_keep_what_was_typed_then_save_anyway(
    app, client, field_worker, case
):
    answers, words = INCONSISTENT[case]
    data = form(app, field_worker, field_ref="KOBO-77", notes="Typed note 4711", **answers)
    first = client.post(NEW, data=data)
    html = first.get_data(as_text=True)
    assert first.status_code == 422, "a warning saves nothing"
    assert households(app) == []
    assert words in html and 'id="answer-warnings"' in html
    assert 'name="save_anyway"' in html
    # Everything the field worker typed is still in the form.
    assert 'value="KOBO-77"' in html and "Typed note 4711" in html
    assert f'<option selected value="{answers["migrant_parents"]}">' in html

    second = client.post(NEW, data={**data, **SAVE_ANYWAY})
    assert second.status_code == 302
    [saved] = households(app)
    assert saved.migrant_parents == answers["migrant_parents"]
    assert saved.caregiver == answers["caregiver"]
    assert saved.field_ref == "KOBO-77" and saved.notes == "Typed note 4711"


def test_consistent_answers_save_at_once_without_a_warning(app, client, field_worker):
    response = client.post(NEW, data=form(app, field_worker))
    assert response.status_code == 302 and len(households(app)) == 1


def test_a_point_far_from_its_village_centre_warns(app, client, field_worker):
    set_village_centre(app, field_worker, 42.36, 119.83)  # VALID_HOUSEHOLD is 0.4 km away
    assert client.post(NEW, data=form(app, field_worker)).status_code == 302
    far = form(app, field_worker, lat="42.30", lon="119.70")  # about 12.5 km
    response = client.post(NEW, data=far)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and len(households(app)) == 1
    assert "km from the centre of Shuanghe" in html
    swapped = form(app, field_worker, lat="119.83512", lon="42.36301")
    assert client.post(NEW, data=swapped).status_code == 422  # out of range: an error
    assert client.post(NEW, data={**far, **SAVE_ANYWAY}).status_code == 302
    assert len(households(app)) == 2


def test_errors_come_first_and_save_anyway_does_not_skip_them(app, client, field_worker):
    data = form(app, field_worker, migrant_parents="none", lat="95", **SAVE_ANYWAY)
    response = client.post(NEW, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and households(app) == []
    assert "Latitude is between -90 and 90." in html
    assert 'id="save-anyway"' not in html


def test_editing_warns_too(app, client, field_worker, add_household):
    household = add_household(field_worker["project"])
    url = f"{BASE}/households/{household.id}/edit"
    data = form(app, field_worker, version="1", migrant_parents="both", caregiver="parents")
    assert client.post(url, data=data).status_code == 422
    assert client.post(url, data={**data, **SAVE_ANYWAY}).status_code == 302
    [saved] = households(app)
    assert saved.caregiver == Caregiver.PARENTS


def test_the_api_saves_what_it_is_sent(app, client, field_worker):
    """A script has nobody to ask: the API (which reuses the form) is never held by warnings."""
    village = village_of(app, field_worker["project"])
    body = {
        **{k: v for k, v in VALID_HOUSEHOLD.items()},
        "village_id": village.id,
        "migrant_parents": "none",
        "left_behind_children": "2",
    }
    for name in ("lat", "lon"):
        body[name] = float(body[name])
    for name in ("members", "children_under_6", "children_6_17", "left_behind_children"):
        body[name] = int(body[name])
    response = client.post("/api/v1/projects/p1/households", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)[:300]


# --- unknown / not asked ------------------------------------------------------------------------


def test_a_new_household_starts_at_unknown_and_saves_it(app, client, field_worker):
    page = client.get(NEW).get_data(as_text=True)
    assert page.count('<option selected value="unknown">Unknown / not asked</option>') == 2
    data = form(app, field_worker)
    del data["migrant_parents"], data["caregiver"]
    data.update(migrant_parents="unknown", caregiver="unknown", left_behind_children="")
    assert client.post(NEW, data=data).status_code == 302
    [saved] = households(app)
    assert saved.migrant_parents == MigrantParents.UNKNOWN
    assert saved.caregiver == Caregiver.UNKNOWN
    assert saved.left_behind_children is None
    shown = client.get(f"{BASE}/households/{saved.id}").get_data(as_text=True)
    assert shown.count('<span class="empty">Unknown / not asked</span>') == 2


def test_unknown_answers_in_lists_filters_and_exports(app, client, field_worker, add_household):
    project = field_worker["project"]
    add_household(project, migrant_parents=MigrantParents.UNKNOWN, caregiver=Caregiver.UNKNOWN)
    add_household(project)  # both away, grandparents (tests/conftest.py)
    listed = client.get(f"{BASE}/households?migrant_parents=unknown").get_data(as_text=True)
    assert "SH-001" in listed and "SH-002" not in listed
    text = client.get(f"{BASE}/households.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["migrant_parents"], r["caregiver"]) for r in rows] == [
        ("unknown", "unknown"),
        ("both", "grandparents"),
    ]
    geojson = json.loads(client.get("/projects/p1/export/households.geojson").get_data())
    properties = [f["properties"] for f in geojson["features"]]
    assert {(p["code"], p["migrant_parents"], p["caregiver"]) for p in properties} == {
        ("SH-001", "unknown", "unknown"),
        ("SH-002", "both", "grandparents"),
    }


def test_import_keeps_a_blank_or_a_dont_know_answer_unknown(app, ctx, make_project):
    project = make_project("p1")
    rows = [
        household_row(migrant_parents="", caregiver=""),
        household_row(migrant_parents="不清楚", caregiver="don't know"),
        household_row(migrant_parents="Unknown / not asked", caregiver="unknown"),
        household_row(migrant_parents="none", caregiver="parents", left_behind_children="0"),
    ]
    table = reading.read(csv_bytes(rows), "x.csv")
    project = db.session.get(type(project), project.id)
    mapping = mappings.mapping_for(project, "households", table, {})
    plan = importing.plan(project, "households", table, mapping)
    assert not plan.problems, plan.problems
    answers = [(r["migrant_parents"], r["caregiver"]) for r in plan.new]
    unknown = (MigrantParents.UNKNOWN, Caregiver.UNKNOWN)
    assert answers == [unknown, unknown, unknown, (MigrantParents.NONE, Caregiver.PARENTS)]
