"""Services in the chain: the measures care registers with initiatives, the chain's "services
delivered" step on the overview, and the village figures of the transparency page and the
report (children counts from 1 to 4 hidden for everyone without household details)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from cbpar import privacy
from cbpar.care import chain
from cbpar.care.models import Child, Programme
from cbpar.db import db
from cbpar.initiatives import results
from cbpar.initiatives.results import ServiceQuery
from cbpar.projects.models import Project
from tests.care import world
from tests.helpers import as_user, seed

D = date(2026, 3, 2)


def test_a_target_is_met_only_without_a_gap_longer_than_its_period():
    weekly = [D - timedelta(days=d) for d in (24, 17, 10, 3)]
    assert chain._met_throughout(weekly, D - timedelta(days=23), D, 7)
    # One call missed: 14 days between two calls.
    gap = [D - timedelta(days=d) for d in (24, 10, 3)]
    assert not chain._met_throughout(gap, D - timedelta(days=23), D, 7)
    # Nothing before the period starts: not met on its first day.
    assert not chain._met_throughout([D - timedelta(days=1)], D - timedelta(days=5), D, 7)
    # A call exactly `every` days before still counts (as on the overdue list).
    assert chain._met_throughout([D - timedelta(days=7)], D, D, 7)
    assert not chain._met_throughout([D - timedelta(days=8)], D, D, 7)


def _project():
    return db.session.scalar(select(Project).where(Project.slug == "p1"))


def test_the_measures_count_sessions_children_attendance_and_hours(app, team):
    w = seed(app, world.build)
    with app.app_context():
        project = _project()
        last_4_weeks = ServiceQuery(w.today - timedelta(days=27), w.today)
        classroom = ServiceQuery(w.today - timedelta(days=27), w.today, w.programme_id)
        assert chain.sessions(project, last_4_weeks).value == 1
        reached = chain.children_reached(project, classroom)
        assert (reached.value, reached.about) == (3, 3)  # two present, one called while enrolled
        rate = chain.attendance_rate(project, classroom)
        assert rate.value == Decimal("66.7") and rate.about == 3
        assert chain.volunteer_hours(project, last_4_weeks).value == Decimal("1.5")
        # Liangshui: nothing yet; before the session: nothing either.
        there = ServiceQuery(None, w.today, None, w.other_village_id)
        assert chain.children_reached(project, there).value == 0
        assert chain.sessions(project, there).value == 0
        before = ServiceQuery(None, w.today - timedelta(days=3))
        assert chain.children_reached(project, before).value == 0
        # A call with a parent before the enrolment is not the classroom's.
        child = db.session.get(Child, w.children[0])
        world.contact(child, w.today - timedelta(days=40))
        earlier = ServiceQuery(None, w.today - timedelta(days=35), w.programme_id)
        assert chain.children_reached(project, earlier).value == 0
        assert (
            chain.children_reached(project, ServiceQuery(None, w.today - timedelta(days=35))).value
            == 1
        )


def test_the_share_meeting_the_call_target_follows_the_calls(app, team):
    w = seed(app, world.build)
    with app.app_context():
        project = _project()
        share = chain.target_share(chain.TargetKind.FAMILY_CALL)
        q = ServiceQuery(w.today - timedelta(days=27), w.today, w.programme_id)
        assert share(project, q).value == Decimal("0.0") and share(project, q).about == 3
        # A period that has not begun yet (an initiative starting later) measures nothing.
        assert share(project, ServiceQuery(w.today + timedelta(days=1), w.today)).value is None
        child = db.session.get(Child, w.children[0])
        for days in (24, 17, 10, 3):
            world.contact(child, w.today - timedelta(days=days), kind="video_call")
        assert share(project, q).value == Decimal("33.3")
        # A home visit is not a call.
        other = db.session.get(Child, w.children[1])
        for days in (24, 17, 10, 3):
            world.contact(other, w.today - timedelta(days=days), kind="home_visit")
        assert share(project, q).value == Decimal("33.3")


def test_villages_count_each_child_once_in_their_households_village(app, team):
    w = seed(app, world.build)
    with app.app_context():
        rows = {r["village"]: r for r in chain.by_village(_project())}
        assert rows["Shuanghe"] == {
            "village": "Shuanghe",
            "sessions": 1,
            "children_reached": 3,
            "volunteer_hours": Decimal("1.5"),
        }
        assert rows["Liangshui"]["children_reached"] == 0
        public = results.village_services(_project(), privacy.Audience.PUBLIC)
        shown = {r["village"]: r["children_reached"] for r in public.rows}
        assert shown == {"Liangshui": 0, "Shuanghe": privacy.SUPPRESSED}
        assert public.children_reached == privacy.SUPPRESSED
        assert public.sessions == 1 and public.volunteer_hours == Decimal("1.5")
        field = results.village_services(_project(), privacy.Audience.FIELD)
        assert field.children_reached == 3
    assert w.programme_id


def _chain_step(html: str) -> str:
    match = re.search(r'<li data-chain-step="services">(.*?)</li>', html, re.S)
    assert match, "the chain has no services step"
    return match.group(1)


def test_the_chain_shows_services_delivered(app, team):
    seed(app, world.build)
    coordinator = as_user(app, "coordinator").get("/projects/p1/").get_data(as_text=True)
    step = _chain_step(coordinator)
    assert re.search(r'data-figure="sessions">1<', step)
    assert re.search(r'data-figure="children-reached">3<', step)
    assert "attendance 66.7% in the last 28 days" in step and "1.5 volunteer hours" in step
    for role in ("committee", "observer"):
        page = as_user(app, role).get("/projects/p1/").get_data(as_text=True)
        step = _chain_step(page)
        assert re.search(r'data-figure="children-reached">fewer than 5<', step), role
        assert "attendance" not in step  # 3 children listed: the rate is not shown
        assert re.search(r'data-figure="sessions">1<', step)


def test_the_chain_has_no_services_step_without_a_programme(app, team):
    html = as_user(app, "coordinator").get("/projects/p1/").get_data(as_text=True)
    assert "data-chain-step" not in html
    with app.app_context():
        assert results.chain(_project()).services is None
        assert db.session.scalar(select(Programme.id)) is None
