"""Initiative indicators computed from services (issue 16): baseline on the initiative's start
date, current value today, following the sessions and contacts recorded; figures about 1 to 4
children hidden from committee members, observers, the transparency page and the report; the
form and the service refuse a programme of another project."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cbpar import privacy
from cbpar.care import programmes
from cbpar.care.models import Child, Programme
from cbpar.db import db
from cbpar.initiatives import results
from cbpar.initiatives.models import Indicator, IndicatorSource, Initiative
from cbpar.projects.models import Project, Village
from tests.care import world
from tests.helpers import as_user, csrf_token_from, seed

BASE = "/projects/p1"


def _project(slug: str = "p1") -> Project:
    return db.session.scalar(select(Project).where(Project.slug == slug))


def _reached_indicator(w: world.World, **fields) -> int:
    initiative = db.session.get(Initiative, w.initiative_id)
    indicator = results.add_indicator(
        initiative,
        {
            "name": "Children reached by the 4:30 classroom",
            "unit": "children",
            "source": IndicatorSource.SERVICES,
            "service_measure": "children_reached",
            "programme_id": w.programme_id,
            "period_days": 28,
            **fields,
        },
    )
    return indicator.id


def _values(indicator_id: int, audience=privacy.Audience.FIELD):
    indicator = db.session.get(Indicator, indicator_id)
    return results.indicator_values(_project(), [indicator.initiative], audience)[indicator_id]


def test_the_value_follows_sessions_and_the_baseline_is_the_start_dates(app, team):
    w = seed(app, world.build)
    with app.app_context():
        indicator_id = _reached_indicator(w)
        db.session.commit()
        value = _values(indicator_id)
        assert value.current == 3 and value.current_as_of == w.today
        assert value.baseline == 0 and value.baseline_as_of == w.today - timedelta(days=60)
        assert "4:30 classroom" in value.description and "28 days" in value.description
        # Two more children join and come to a session: the figure follows.
        project = _project()
        programme = db.session.get(Programme, w.programme_id)
        village = db.session.get(Village, w.village_id)
        new = [world.add_child(project, village) for _ in range(2)]
        for child in new:
            programmes.enrol(programme, child, w.today - timedelta(days=1), world.worker())
        world.session(project, programme, w.today, {c.id: "present" for c in new})
        db.session.commit()
        assert _values(indicator_id).current == 5
        # The recorded baseline stays.
        assert db.session.get(Indicator, indicator_id).baseline == 0


def test_sessions_hours_and_since_the_start(app, team):
    w = seed(app, world.build)
    with app.app_context():
        sessions = _reached_indicator(w, service_measure="sessions", programme_id=None)
        hours = _reached_indicator(w, service_measure="volunteer_hours", period_days=None)
        db.session.commit()
        assert _values(sessions).current == 1
        assert _values(hours).current == Decimal("1.5")
        # Neither is about children: shown to everyone as it is.
        assert _values(sessions, privacy.Audience.PUBLIC).current == 1
        assert "since the initiative started" in _values(hours).description


def test_the_share_of_children_meeting_their_call_target(app, team):
    w = seed(app, world.build)
    with app.app_context():
        share = _reached_indicator(w, service_measure="target:family_call", unit="%")
        child = db.session.get(Child, w.children[0])
        for days in (24, 17, 10, 3):
            world.contact(child, w.today - timedelta(days=days))
        db.session.commit()
        value = _values(share)
        assert value.current == Decimal("33.3")
        # Nobody was enrolled on the start date: recorded as empty, not "not recorded".
        assert value.baseline is None and not value.baseline_missing
        # About 3 children: not shown to committee members and observers.
        for audience in (privacy.Audience.COMMITTEE, privacy.Audience.PUBLIC):
            assert _values(share, audience).current == privacy.WITHHELD


@pytest.mark.parametrize("role", ["committee", "observer"])
def test_committee_members_and_observers_see_fewer_than_5(app, team, role):
    w = seed(app, world.build)
    seed(app, lambda _p: _reached_indicator(w))
    page = f"{BASE}/initiatives/{w.initiative_id}"
    other = as_user(app, role)
    html = other.get(page).get_data(as_text=True)
    row = re.search(r'data-value="current">([^<]*)<', html)
    assert row and row.group(1).strip() == "fewer than 5"
    api = other.get(f"/api/v1{BASE}/initiatives").get_json()
    indicator = api["initiatives"][0]["indicators"][0]
    assert indicator["current"] == "<5" and indicator["baseline"] == "0"
    assert indicator["service_measure"] == "children_reached"
    field = as_user(app, "field_worker").get(f"/api/v1{BASE}/initiatives").get_json()
    assert field["initiatives"][0]["indicators"][0]["current"] == "3"


def test_transparency_page_public_link_and_report_hide_three_children(app, team):
    w = seed(app, world.build)
    seed(app, lambda _p: _reached_indicator(w))
    coordinator = as_user(app, "coordinator")
    html = coordinator.get(f"{BASE}/transparency").get_data(as_text=True)
    shuanghe = re.search(r'<tr data-village="Shuanghe">.*?</tr>', html, re.S).group(0)
    assert "fewer than 5" in shuanghe and re.search(r'data-value="sessions">1<', shuanghe)
    assert "fewer than 5" in re.search(r'data-value="current">([^<]*)<', html).group(1)
    assert coordinator.post(f"{BASE}/transparency/link").status_code == 303
    page = coordinator.get(f"{BASE}/transparency").get_data(as_text=True)
    start = page.index("/t/")
    public = app.test_client().get(page[start : page.index("<", start)])
    body = public.get_data(as_text=True)
    row = re.search(r'<tr data-village="Shuanghe">.*?</tr>', body, re.S).group(0)
    assert "fewer than 5" in row and ">3<" not in row
    for code in ("SH-001", "SH-002", "SH-003"):
        assert code not in body
    report = coordinator.get(f"{BASE}/report").get_data(as_text=True)
    section = re.search(r'<section data-section="services">.*?</section>', report, re.S).group(0)
    assert "fewer than 5" in section and not re.search(r">\s*3\s*<", section)
    markdown = coordinator.get(f"{BASE}/report.md").get_data(as_text=True)
    services = markdown[markdown.index("## Services delivered") :]
    line = next(x for x in services.splitlines() if x.startswith("| Shuanghe |"))
    assert "fewer than 5" in line and "| 1 |" in line


def _form(c, w, **fields):
    page = c.get(f"{BASE}/initiatives/{w.initiative_id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "name": "Children reached",
        "unit": "children",
        "source": "services",
        "service_measure": "children_reached",
        "programme_id": str(w.programme_id),
        "period_days": "28",
        "village_id": "",
        **fields,
    }
    return c.post(f"{BASE}/initiatives/{w.initiative_id}/indicators", data=data)


def _count() -> int:
    return db.session.scalar(select(func.count(Indicator.id)))


def test_the_form_adds_one_and_refuses_another_projects_programme(app, team, make_project):
    w = seed(app, world.build)
    make_project("p2")

    def foreign(project):
        return programmes.create_programme(
            _project("p2"), {"name": "Elsewhere", "kind": "casework"}, {}, world.worker()
        ).id

    elsewhere = seed(app, foreign)
    c = as_user(app, "coordinator")
    assert "From services" in c.get(f"{BASE}/initiatives/{w.initiative_id}").get_data(as_text=True)
    assert _form(c, w, programme_id=str(elsewhere)).status_code == 422
    assert _form(c, w, service_measure="").status_code == 422
    assert _form(c, w, service_measure="no_such_measure").status_code == 422
    with app.app_context():
        assert _count() == 0
        initiative = db.session.get(Initiative, w.initiative_id)
        with pytest.raises(ValueError):
            results.add_indicator(
                initiative,
                {"name": "x", "source": IndicatorSource.SERVICES,
                 "service_measure": "sessions", "programme_id": elsewhere},
            )  # fmt: skip
        db.session.rollback()
    assert _form(c, w).status_code == 303
    with app.app_context():
        indicator = db.session.scalar(select(Indicator))
        assert indicator.programme_id == w.programme_id and indicator.period_days == 28
        assert indicator.baseline == 0 and indicator.baseline_on == w.today - timedelta(days=60)
    html = c.get(f"{BASE}/initiatives/{w.initiative_id}").get_data(as_text=True)
    assert "From services: Children reached (each counted once), in 4:30 classroom" in html
    with app.app_context():
        indicator_id = db.session.scalar(select(Indicator.id))
    edit = c.get(f"{BASE}/initiatives/{w.initiative_id}/indicators/{indicator_id}")
    assert edit.status_code == 200
    assert "Baseline recorded from services: 0" in edit.get_data(as_text=True)
    assert c.get(f"{BASE}/impact").status_code == 200


def test_editing_keeps_the_baseline_unless_what_is_counted_changes(app, team):
    w = seed(app, world.build)
    indicator_id = seed(app, lambda _p: _reached_indicator(w))
    with app.app_context():
        indicator = db.session.get(Indicator, indicator_id)
        indicator.baseline = Decimal(7)  # as if recorded when there were services before
        db.session.commit()
        results.update_indicator(indicator, {"name": "Renamed", "target": Decimal(10)})
        assert indicator.baseline == 7
        results.update_indicator(indicator, {"period_days": 14})
        assert indicator.baseline == 0
        db.session.rollback()
