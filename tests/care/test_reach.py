"""The map's service-reach layer: children under 6 farther than N km from a social-work station
and with no contact in the last 30 days; points for the field team, village figures (small
numbers hidden) for committee members and observers, and the distance checked."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cbpar.care.models import (
    AttendanceStatus,
    Child,
    ContactLog,
    Programme,
    ProgrammeSession,
    SessionAttendance,
)
from cbpar.db import db
from cbpar.mapping.models import Caregiver, FacilityKind, MigrantParents
from cbpar.meetings.services import project_today
from cbpar.projects.models import Project, Village
from tests.helpers import as_user

STATION = (42.36301, 119.83512)
FAR = (42.50, 119.83512)  # about 15.5 km north of the station


@pytest.fixture
def world(app, team, add_household, add_facility):
    """A station, and households near it and far from it with children of several ages."""
    project = team["project"]
    add_facility(project, name="Social-work station", kind=FacilityKind.SOCIAL_WORK_STATION,
                 lat=STATION[0], lon=STATION[1])  # fmt: skip
    with app.app_context():
        village = db.session.scalar(select(Village).where(Village.project_id == project.id))
        village.center_lat, village.center_lon = FAR
        db.session.commit()
    made = {}
    for name, at, age in [
        ("far_small", FAR, 3),  # counted
        ("far_contacted", FAR, 4),  # a call 5 days ago: not counted
        ("far_at_session", FAR, 2),  # present at a session 10 days ago: not counted
        ("far_old_contact", FAR, 5),  # a call 40 days ago only: counted
        ("far_six", FAR, 7),  # 6 or older: not counted
        ("near_small", STATION, 3),  # near the station: not counted
    ]:
        household = add_household(project, lat=at[0], lon=at[1])
        made[name] = (household.id, household.code, age)
    with app.app_context():
        project = db.session.get(Project, project.id)
        today = project_today(project)
        children = {}
        for name, (household_id, code, age) in made.items():
            child = Child(
                project_id=project.id, household_id=household_id, number=1, code=f"{code}-1",
                birth_year=today.year - age, birth_month=None,
                sex="girl", parents_away=MigrantParents.BOTH, caregiver=Caregiver.GRANDPARENTS,
            )  # fmt: skip
            db.session.add(child)
            db.session.flush()
            children[name] = child.id
        for name, days in (("far_contacted", 5), ("far_old_contact", 40)):
            db.session.add(
                ContactLog(project_id=project.id, child_id=children[name], kind="phone_call",
                           on=today - timedelta(days=days))
            )  # fmt: skip
        programme = Programme(project_id=project.id, name="Playgroup", kind="activity")
        db.session.add(programme)
        db.session.flush()
        session = ProgrammeSession(
            project_id=project.id, programme_id=programme.id,
            starts_at=datetime.now(UTC) - timedelta(days=10),
        )  # fmt: skip
        db.session.add(session)
        db.session.flush()
        db.session.add(SessionAttendance(session_id=session.id, child_id=children["far_at_session"],
                                         status=AttendanceStatus.PRESENT))  # fmt: skip
        db.session.commit()
        codes = {name: code for name, (_h, code, _a) in made.items()}
    return {"project": project, "codes": codes}


def test_field_roles_see_the_households_of_the_children_counted(app, world):
    c = as_user(app, "field_worker")
    body = c.get("/projects/p1/care/reach.json?km=3").get_json()
    assert body["shape"] == "points" and body["km"] == 3
    labels = sorted(p["label"] for p in body["points"])
    assert labels == sorted([world["codes"]["far_small"], world["codes"]["far_old_contact"]])
    assert body["total"] == 2
    assert all(p["count"] == 1 for p in body["points"])
    # Farther than the households: nobody.
    assert c.get("/projects/p1/care/reach.json?km=20").get_json()["points"] == []
    # Field roles may ask for the village figures too (not suppressed for them).
    villages = c.get("/projects/p1/care/reach.json?shape=villages").get_json()
    assert villages["villages"][0]["count"] == 2


@pytest.mark.parametrize("role", ["committee", "observer"])
def test_others_get_village_figures_with_small_numbers_hidden(app, world, role):
    c = as_user(app, role)
    assert c.get("/projects/p1/care/reach.json?shape=points").status_code == 403
    response = c.get("/projects/p1/care/reach.json?km=3")
    assert response.status_code == 200
    body = response.get_json()
    assert body["shape"] == "villages" and "points" not in body
    assert body["villages"] == [
        {"village": "Shuanghe", "lat": FAR[0], "lon": FAR[1], "count": "<5"}
    ]
    assert body["total"] == "<5"
    text = json.dumps(body)
    assert not any(code in text for code in world["codes"].values())


def test_five_or_more_are_shown_to_everyone(app, world, add_household):
    project = world["project"]
    with app.app_context():
        today = project_today(db.session.get(Project, project.id))
    for _ in range(4):
        household = add_household(project, lat=FAR[0], lon=FAR[1])
        with app.app_context():
            db.session.add(Child(
                project_id=project.id, household_id=household.id, number=1,
                code=f"{household.code}-1", birth_year=today.year - 2, sex="boy",
                parents_away=MigrantParents.BOTH, caregiver=Caregiver.GRANDPARENTS,
            ))  # fmt: skip
            db.session.commit()
    body = as_user(app, "observer").get("/projects/p1/care/reach.json").get_json()
    assert body["villages"][0]["count"] == 6 and body["total"] == 6


@pytest.mark.parametrize(
    ("role", "km", "message"),
    [
        ("field_worker", "abc", "number of km"),
        ("field_worker", "nan", "between 0.5 and 50"),
        ("field_worker", "inf", "between 0.5 and 50"),
        ("field_worker", "0.1", "between 0.5 and 50"),
        ("field_worker", "500", "between 0.5 and 50"),
        ("committee", "0.6", "at least 1 km"),  # a tiny circle could point at one house
        ("observer", "0.5", "at least 1 km"),
    ],
)
def test_a_bad_distance_is_a_400_with_a_clear_message(app, world, role, km, message):
    response = as_user(app, role).get(f"/projects/p1/care/reach.json?km={km}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_field_roles_may_look_closer_than_1_km(app, world):
    response = as_user(app, "field_worker").get("/projects/p1/care/reach.json?km=0.6")
    assert response.status_code == 200 and response.get_json()["total"] == 2


def test_the_map_page_offers_the_layer_to_every_member_who_sees_the_map(app, world):
    for role in ("field_worker", "committee", "observer"):
        page = as_user(app, role).get("/projects/p1/map").get_data(as_text=True)
        config = json.loads(re.search(r'id="map-config"[^>]*>(.*?)</script>', page, re.S).group(1))
        (layer,) = [entry for entry in config["layers"] if entry["key"] == "reach"]
        assert layer["url"] == "/projects/p1/care/reach.json"
        assert layer["param"]["name"] == "km" and layer["param"]["value"] == 3
        assert "js/map-layers." in page
    assert as_user(app, "outsider").get("/projects/p1/care/reach.json").status_code == 404
