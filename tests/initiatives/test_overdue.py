"""Issue 15: milestones past their planned date and not done, and initiatives past their end
date and not completed, are flagged "overdue by N days" (today in the project's time zone)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cbpar.db import db
from cbpar.initiatives.models import Initiative, InitiativeStatus, Milestone
from cbpar.projects.models import Project
from tests.helpers import seed

BASE = "/projects/p1"
AHEAD, BEHIND = "Pacific/Kiritimati", "Pacific/Pago_Pago"  # UTC+14 and UTC-11: never one date


def _local_today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def _late_work(project: Project) -> dict[str, int]:
    """In the project's zone: one initiative 10 days past its end, with a milestone 3 days late,
    one done late (not flagged) and one due today (not yet late); a completed and a cancelled
    initiative past their end (never flagged)."""
    today = _local_today(project.timezone)
    late = Initiative(
        project_id=project.id,
        title="After-school group",
        status=InitiativeStatus.IN_PROGRESS,
        currency="CNY",
        starts_on=today - timedelta(days=400),
        ends_on=today - timedelta(days=10),
    )
    done = Initiative(
        project_id=project.id,
        title="Kindergarten built",
        status=InitiativeStatus.COMPLETED,
        currency="CNY",
        ends_on=today - timedelta(days=30),
    )
    dropped = Initiative(
        project_id=project.id,
        title="School bus",
        status=InitiativeStatus.CANCELLED,
        currency="CNY",
        ends_on=today - timedelta(days=30),
    )
    db.session.add_all([late, done, dropped])
    db.session.flush()
    for title, planned, done_on in (
        ("Tutors trained", today - timedelta(days=3), None),
        ("Room found", today - timedelta(days=20), today - timedelta(days=2)),
        ("Parents' meeting", today, None),
    ):
        db.session.add(
            Milestone(
                project_id=project.id,
                initiative_id=late.id,
                title=title,
                planned_on=planned,
                done_on=done_on,
            )
        )
    db.session.add(
        Milestone(
            project_id=project.id,
            initiative_id=dropped.id,
            title="Bus bought",
            planned_on=today - timedelta(days=40),
        )
    )
    db.session.flush()
    return {"late": late.id, "done": done.id, "dropped": dropped.id}


def _flags(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-overdue="(\d+)"', html)]


def _in_zone(zone: str):
    def set_zone(project: Project) -> None:
        project.timezone = zone

    return set_zone


def test_model_rules(app, ctx, team):
    initiative = Initiative(status=InitiativeStatus.IN_PROGRESS, ends_on=date(2026, 1, 1))
    assert initiative.days_overdue(date(2026, 1, 1)) == 0  # due today: not late yet
    assert initiative.days_overdue(date(2026, 1, 4)) == 3
    initiative.status = InitiativeStatus.COMPLETED
    assert initiative.days_overdue(date(2026, 1, 4)) == 0
    milestone = Milestone(
        planned_on=date(2026, 1, 1), initiative=Initiative(status=InitiativeStatus.PLANNING)
    )
    assert milestone.days_overdue(date(2026, 1, 2)) == 1
    milestone.done_on = date(2026, 1, 3)
    assert milestone.days_overdue(date(2026, 1, 9)) == 0


def test_flags_on_the_list_the_initiative_page_and_the_timeline(app, client, team, login):
    seed(app, _in_zone(AHEAD))
    ids = seed(app, _late_work)
    login("observer")
    index = client.get(f"{BASE}/initiatives/").get_data(as_text=True)
    assert _flags(index) == [10]  # the late initiative only: not the completed, not cancelled
    assert "1 milestone overdue" in index
    page = client.get(f"{BASE}/initiatives/{ids['late']}").get_data(as_text=True)
    assert sorted(_flags(page)) == [3, 10]
    assert "Overdue by 10 days" in page and "Overdue by 3 days" in page
    assert _flags(client.get(f"{BASE}/initiatives/{ids['dropped']}").get_data(as_text=True)) == []
    timeline = client.get(f"{BASE}/timeline").get_data(as_text=True)
    assert _flags(timeline) == [3]
    row = re.search(r"<li[^>]*>(?:(?!</li>).)*Tutors trained.*?</li>", timeline, re.S)
    assert row and 'class="open overdue"' in row.group(0)
    with app.app_context():
        milestone_id = db.session.scalar(
            select(Milestone.id).where(Milestone.title == "Tutors trained")
        )
    assert _flags(client.get(f"{BASE}/milestones/{milestone_id}").get_data(as_text=True)) == [3]


def test_today_is_the_projects_today(app, client, team, login):
    """The same dates are late by one day more far east than far west of the date line."""
    seed(app, _in_zone(AHEAD))
    seed(app, _late_work)
    login("observer")
    ahead = _flags(client.get(f"{BASE}/timeline").get_data(as_text=True))
    seed(app, _in_zone(BEHIND))
    behind = _flags(client.get(f"{BASE}/timeline").get_data(as_text=True))
    gap = (_local_today(AHEAD) - _local_today(BEHIND)).days  # 1 or 2
    assert ahead == [3] and behind == ([3 - gap] if 3 - gap > 0 else [])


def test_home_panel_counts_what_is_overdue(app, client, team, login):
    seed(app, _in_zone(AHEAD))
    seed(app, _late_work)
    login("observer")
    home = client.get(f"{BASE}/").get_data(as_text=True)
    assert "1 initiative past its end date" in home and "1 milestone overdue" in home
