"""A small services world for the chain and the indicators from services: in Shuanghe, the
4:30 classroom of the social-work initiative with three children enrolled 30 days ago, one
session two days ago (two present, one absent, a volunteer for 1.5 hours), one call with a
parent yesterday; a Liangshui village with no service yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.care import programmes, services, volunteers
from cbpar.care.models import AttendanceStatus
from cbpar.db import db
from cbpar.initiatives.models import Initiative, InitiativeStatus
from cbpar.mapping.models import Household
from cbpar.meetings.services import project_today, to_utc
from cbpar.projects.models import Village

CHILD = {
    "birth_year": date.today().year - 8,
    "birth_month": 3,
    "sex": "girl",
    "school": "Shuanghe Primary School",
    "grade": "Grade 2",
    "parents_away": "both",
    "away_since": None,
    "home_visits": "spring_festival",
    "caregiver": "grandparents",
    "session_name": "",
    "consent_on": date.today() - timedelta(days=90),
    "consent_given_by": "grandmother (guardian)",
    "assent_on": date.today() - timedelta(days=90),
}


@dataclass
class World:
    initiative_id: int
    programme_id: int
    children: list[int]
    village_id: int
    other_village_id: int
    volunteer_id: int
    today: date


def worker() -> User:
    return db.session.scalar(select(User).where(User.username == "field_worker"))


def household(project: Any, village: Village) -> Household:
    number = 1 + len(
        list(db.session.scalars(select(Household.id).where(Household.village_id == village.id)))
    )
    row = Household(
        project_id=project.id,
        village_id=village.id,
        number=number,
        code=f"{village.code}-{number:03d}",
        lat=41.0,
        lon=111.0,
        members=4,
    )
    db.session.add(row)
    db.session.flush()
    return row


def add_child(project: Any, village: Village) -> Any:
    return services.create_child(project, household(project, village), dict(CHILD), worker())


def session(project: Any, programme: Any, day: date, attendance: dict[int, str], **hours: Any):
    return programmes.record_session(
        programme,
        {"starts_at": to_utc(datetime.combine(day, time(16, 30)), project), "topic": "Reading"},
        {k: AttendanceStatus(v) for k, v in attendance.items()},
        worker(),
        day,
        volunteers=hours.get("volunteers"),
    )


def contact(child: Any, day: date, kind: str = "phone_call") -> None:
    services.add_contact(
        child,
        {"kind": kind, "on": day, "minutes": 10, "with_whom": "mother", "summary": ""},
        worker(),
    )


def build(project: Any) -> World:
    today = project_today(project)
    shuanghe = db.session.scalar(
        select(Village).where(Village.project_id == project.id, Village.code == "SH")
    )
    liangshui = Village(project_id=project.id, name="Liangshui", code="LS")
    db.session.add(liangshui)
    initiative = Initiative(
        project_id=project.id,
        title="Social-work station and 4:30 classroom",
        status=InitiativeStatus.IN_PROGRESS,
        currency="CNY",
        starts_on=today - timedelta(days=60),
    )
    db.session.add(initiative)
    db.session.flush()
    programme = programmes.create_programme(
        project,
        {
            "name": "4:30 classroom",
            "kind": "after_school",
            "village_id": shuanghe.id,
            "initiative_id": initiative.id,
        },
        {"family_call": 7},
        worker(),
    )
    children = [add_child(project, shuanghe) for _ in range(3)]
    for child in children:
        programmes.enrol(programme, child, today - timedelta(days=30), worker())
    tutor = volunteers.create_volunteer(
        project, {"display_name": "Xiao Chen", "kind": "student_tutor", "village_id": shuanghe.id},
        worker(),
    )  # fmt: skip
    session(
        project,
        programme,
        today - timedelta(days=2),
        {children[0].id: "present", children[1].id: "present", children[2].id: "absent"},
        volunteers={tutor.id: Decimal("1.5")},
    )
    contact(children[2], today - timedelta(days=1))
    db.session.flush()
    return World(
        initiative.id,
        programme.id,
        [c.id for c in children],
        shuanghe.id,
        liangshui.id,
        tutor.id,
        today,
    )
