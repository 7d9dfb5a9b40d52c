"""Issue 11, item 9: indicators computed from the map never show 1 to 4 to the public.

The transparency page, its public link, the report and (for observers) the initiative page and
the API show such a figure as "fewer than 5" ("<5" in JSON); field roles see it exactly.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from cbpar.db import db
from cbpar.initiatives import results
from cbpar.initiatives.models import (
    Indicator,
    IndicatorSource,
    Initiative,
    InitiativeStatus,
    MapMeasure,
)
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household
from cbpar.projects.models import Village
from tests.helpers import SH, seed

BASE = "/projects/p1"


def _one_family_near_a_kindergarten(project) -> int:
    """One household with 2 children under 6 beside an operating kindergarten: the computed
    indicator "children under 6 within 5 km" is 2."""
    village = db.session.scalar(select(Village).where(Village.project_id == project.id))
    db.session.add(
        Facility(
            project_id=project.id,
            name="Shuanghe Kindergarten",
            kind=FacilityKind.KINDERGARTEN,
            status=FacilityStatus.OPERATING,
            lat=SH[0],
            lon=SH[1],
            opened_on=date(2022, 9, 1),
        )
    )
    db.session.add(
        Household(
            project_id=project.id,
            village_id=village.id,
            number=1,
            code="SH-001",
            lat=SH[0] + 0.001,
            lon=SH[1],
            members=4,
            children_under_6=2,
        )
    )
    initiative = Initiative(
        project_id=project.id,
        title="Build a kindergarten",
        status=InitiativeStatus.COMPLETED,
        currency="CNY",
    )
    db.session.add(initiative)
    db.session.flush()
    db.session.add(
        Indicator(
            project_id=project.id,
            initiative_id=initiative.id,
            name="Children under 6 near a kindergarten",
            source=IndicatorSource.COMPUTED,
            measure=MapMeasure.CHILDREN_UNDER_6,
            facility_kind=FacilityKind.KINDERGARTEN.value,
            within_km=Decimal("5"),
        )
    )
    db.session.add(
        Indicator(
            project_id=project.id,
            initiative_id=initiative.id,
            name="Teachers hired",
            source=IndicatorSource.MANUAL,
            current=Decimal(2),  # typed by the team: published as they chose
        )
    )
    db.session.flush()
    return initiative.id


def current_values(html: str) -> list[str]:
    return [v.strip() for v in re.findall(r'data-value="current">([^<]*)<', html)]


def _public_token(client) -> str:
    assert client.post(f"{BASE}/transparency/link").status_code == 303
    page = client.get(f"{BASE}/transparency").get_data(as_text=True)
    start = page.index("/t/")
    return page[start + 3 : page.index("<", start)]


def test_public_link_and_transparency_page_suppress_map_indicators(app, client, team, login):
    seed(app, _one_family_near_a_kindergarten)
    login("coordinator")
    # The transparency page shows members what the public sees.
    html = client.get(f"{BASE}/transparency").get_data(as_text=True)
    assert current_values(html) == ["fewer than 5", "2"]  # computed, then manual
    token = _public_token(client)
    public = app.test_client().get(f"/t/{token}")
    assert public.status_code == 200
    assert current_values(public.get_data(as_text=True)) == ["fewer than 5", "2"]


def test_observer_sees_fewer_than_5_and_the_team_the_figure(app, client, team, login):
    initiative_id = seed(app, _one_family_near_a_kindergarten)
    login("observer")
    html = client.get(f"{BASE}/initiatives/{initiative_id}").get_data(as_text=True)
    assert current_values(html)[0] == "fewer than 5"
    api = client.get(f"/api/v1{BASE}/initiatives").get_json()
    assert api["initiatives"][0]["indicators"][0]["current"] == "<5"
    client.post("/logout")

    login("researcher")
    html = client.get(f"{BASE}/initiatives/{initiative_id}").get_data(as_text=True)
    assert current_values(html)[0] == "2"
    api = client.get(f"/api/v1{BASE}/initiatives").get_json()
    assert api["initiatives"][0]["indicators"][0]["current"] == "2"


def test_report_suppresses_map_indicators(app, client, team, login):
    seed(app, _one_family_near_a_kindergarten)
    login("coordinator")
    html = client.get(f"{BASE}/report").get_data(as_text=True)
    row = re.search(r"Children under 6 near a kindergarten.*?</tr>", html, re.S)
    assert row and "fewer than 5" in row.group(0)
    assert not re.search(r'<td class="num">\s*2\s*</td>', row.group(0))
    markdown = client.get(f"{BASE}/report.md").get_data(as_text=True)
    line = next(x for x in markdown.splitlines() if "Children under 6 near" in x)
    assert "fewer than 5" in line and not re.search(r"\b2\b", line)


def test_indicator_values_default_to_the_current_members_audience(app, ctx, team):
    """Outside a member's request (no membership) the safe default is the public's."""
    project = db.session.get(type(team["project"]), team["project"].id)
    initiative = db.session.get(Initiative, _one_family_near_a_kindergarten(project))
    values = results.indicator_values(project, [initiative])
    computed = initiative.indicators[0]
    assert values[computed.id].current == "<5"
