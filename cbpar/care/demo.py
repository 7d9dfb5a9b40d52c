"""Demo children and contacts: after the kindergarten opened, the team started weekly family
calls, a 4:30 classroom and a grandparents' group in Shuanghe; a few children are overdue, one
family withdrew consent.
Fictional, as the rest of the demo. Dates are relative to the day the demo is loaded."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.care import programmes, services, volunteers
from cbpar.care.models import AttendanceStatus, Child
from cbpar.db import db
from cbpar.initiatives import results
from cbpar.initiatives.models import IndicatorSource, Initiative
from cbpar.mapping.models import Facility, Household
from cbpar.meetings.services import project_today, to_utc
from cbpar.projects.models import Village

# (household code, birth year offset from this year, month, sex, school, grade, name in sessions)
CHILDREN = [
    ("SH-001", 5, 3, "girl", "Shuanghe kindergarten", "Middle class", "Xiaohong"),
    ("SH-001", 9, 10, "boy", "Xinhui Central Primary School", "Grade 3", ""),
    ("SH-002", 4, 6, "boy", "Shuanghe kindergarten", "Small class", ""),
    ("SH-003", 11, 1, "girl", "Xinhui Central Primary School", "Grade 5", "Lanlan"),
    ("SH-004", 7, 9, "boy", "Xinhui Central Primary School", "Grade 1", ""),
    ("SH-005", 3, 12, "girl", "", "", ""),
    ("LS-001", 6, 4, "boy", "Liangshui teaching point", "Pre-school", ""),
    ("LS-002", 10, 8, "girl", "Xinhui Central Primary School", "Grade 4", ""),
    # Small children in Liangshui, ~20 km from the social-work station, not seen for a month:
    # what the map's service-reach layer shows.
    ("LS-003", 4, 2, "girl", "", "", ""),
    ("LS-004", 3, 7, "boy", "", "", ""),
    ("LS-005", 5, 11, "girl", "Liangshui teaching point", "Pre-school", ""),
]
# (child index, days ago, kind, minutes, with whom, summary, issues, follow up in days)
CONTACTS = [
    (
        0,
        3,
        "video_call",
        15,
        "mother",
        "Talked about the new kindergarten; she sang a song.",
        "",
        None,
    ),
    (
        0,
        10,
        "home_visit",
        40,
        "grandmother",
        "Grandmother finds the walk to the kindergarten long.",
        "",
        None,
    ),
    (1, 12, "video_call", 10, "father", "Short call, network was poor.", "call cut off twice", -2),
    (2, 20, "phone_call", 8, "mother", "Mother asked about vaccinations.", "", -5),
    (
        3,
        2,
        "talk",
        30,
        "",
        "Worried about the exam; wants her mother home for New Year.",
        "seems withdrawn",
        5,
    ),
    (
        4,
        5,
        "teacher_visit",
        25,
        "class teacher",
        "Reading well; often tired in the morning.",
        "",
        None,
    ),
    (6, 9, "home_visit", 35, "grandfather", "Grandfather would like parenting advice.", "", 3),
]
WITHDRAWN = 7  # LS-002's guardian withdrew consent: the record stays, without words
# (name, kind, facility name starts with, initiative title starts with, schedule, targets,
#  children enrolled by index, sessions in the last weeks)
PROGRAMMES = [
    ("Weekly family calls", "family_calls", None, "Social-work", "Saturdays",
     {"family_call": 7}, [0, 1, 2, 3, 4], 0),
    ("4:30 classroom", "after_school", "Shuanghe Social-Work Station", "Social-work",
     "Weekdays at 16:30", {"teacher_visit": 183}, [1, 3, 4], 6),
    ("Grandparents' parenting group", "parenting", "Shuanghe Social-Work Station", None,
     "First Sunday of the month", {}, [0, 2, 5], 2),
]  # fmt: skip


# Five volunteer mothers and two student tutors; Aunt Zhao has gone quiet.
VOLUNTEERS = [
    ("Aunt Wang (Shuanghe)", "volunteer_mother", 3, "Reading aloud with the small ones: they "
     "listen longer when I do the voices."),
    ("Aunt Li (Shuanghe)", "volunteer_mother", 6, "A grandmother told me she had not talked "
     "with anyone for a week. I will visit her again."),
    ("Aunt Zhang (Shuanghe)", "volunteer_mother", 9, ""),
    ("Aunt Liu (Liangshui)", "volunteer_mother", 12, "Homework help: the Grade 3 boys need "
     "more time with fractions."),
    ("Aunt Zhao (Liangshui)", "volunteer_mother", 45, ""),
    ("Xiao Chen, student tutor", "student_tutor", 2, "I learnt to wait for the children "
     "to answer instead of answering for them."),
    ("Xiao Sun, student tutor", "student_tutor", 4, ""),
]  # fmt: skip


def load(project: Any) -> None:
    if db.session.scalar(select(Child.id).where(Child.project_id == project.id).limit(1)):
        return
    today = project_today(project)
    worker = db.session.scalar(select(User).where(User.username == "fieldworker"))
    households = {
        h.code: h
        for h in db.session.scalars(select(Household).where(Household.project_id == project.id))
    }
    children = []
    for code, age, month, sex, school, grade, name in CHILDREN:
        household = households.get(code)
        if household is None:
            continue
        consent = today - timedelta(days=60)
        child = services.create_child(
            project,
            household,
            {
                "birth_year": today.year - age,
                "birth_month": month,
                "sex": sex,
                "school": school,
                "grade": grade,
                "parents_away": household.migrant_parents.value,
                "away_since": date(today.year - 2, 3, 1)
                if household.migrant_parents.value != "none"
                else None,
                "home_visits": "spring_festival",
                "caregiver": household.caregiver.value,
                "session_name": name,
                "consent_on": consent,
                "consent_given_by": "grandmother (guardian)",
                "assent_on": consent if age >= 8 else None,
            },
            worker,
        )
        children.append(child)
    for index, ago, kind, minutes, whom, summary, issues, follow in CONTACTS:
        if index >= len(children):
            continue
        on = today - timedelta(days=ago)
        services.add_contact(
            children[index],
            {
                "kind": kind,
                "on": on,
                "minutes": minutes,
                "with_whom": whom,
                "summary": summary,
                "issues": issues,
                "follow_up_on": today + timedelta(days=follow) if follow is not None else None,
            },
            worker,
        )
    if len(children) > WITHDRAWN:
        services.withdraw(children[WITHDRAWN], worker)
    helpers = _volunteers(project, worker, today)
    _programmes(project, children, worker, today, helpers)
    _indicators(project)


def _volunteers(project: Any, worker: Any, today: date) -> list[Any]:
    added = []
    villages = {
        v.code: v.id
        for v in db.session.scalars(select(Village).where(Village.project_id == project.id))
    }
    for name, kind, days_ago, reflection in VOLUNTEERS:
        # Volunteer mothers of their own village; the student tutors teach in Shuanghe.
        village = villages.get("LS" if "Liangshui" in name else "SH")
        volunteer = volunteers.create_volunteer(
            project,
            {
                "display_name": name,
                "kind": kind,
                "village_id": village,
                "active_from": today - timedelta(days=120),
            },
            worker,
        )
        volunteers.add_training(
            volunteer, "Listening to children (social-work station)", today - timedelta(days=100), 6
        )
        volunteers.add_diary(
            volunteer,
            {
                "on": today - timedelta(days=days_ago),
                "services": 3,
                "hours": 2,
                "reflection": reflection,
            },
            worker,
        )
        added.append(volunteer)
    return added


def _programmes(
    project: Any, children: list[Child], worker: Any, today: date, helpers: list[Any]
) -> None:
    facilities = {
        f.name: f.id
        for f in db.session.scalars(select(Facility).where(Facility.project_id == project.id))
    }
    initiatives = {
        i.title: i.id
        for i in db.session.scalars(select(Initiative).where(Initiative.project_id == project.id))
    }

    def starting(names: dict[str, int], prefix: str | None) -> int | None:
        return next((v for k, v in names.items() if prefix and k.startswith(prefix)), None)

    village = db.session.scalar(
        select(Village).where(Village.project_id == project.id, Village.code == "SH")
    )
    for name, kind, site, initiative, schedule, targets, enrolled, sessions in PROGRAMMES:
        programme = programmes.create_programme(
            project,
            {
                "name": name,
                "kind": kind,
                "village_id": village.id if village else None,
                "facility_id": starting(facilities, site),
                "initiative_id": starting(initiatives, initiative),
                "schedule": schedule,
                "starts_on": today - timedelta(days=45),
                "ends_on": None,
            },
            targets,
            worker,
        )
        members = [children[i] for i in enrolled if i < len(children)]
        for child in members:
            programmes.enrol(programme, child, today - timedelta(days=40), worker)
        for week in range(sessions):
            day = today - timedelta(days=2 + 3 * week)
            attendance = {
                c.id: AttendanceStatus.ABSENT
                if (c.id + week) % 4 == 0
                else AttendanceStatus.PRESENT
                for c in members
            }
            programmes.record_session(
                programme,
                {
                    "starts_at": to_utc(datetime.combine(day, time(16, 30)), project),
                    "ends_at": to_utc(datetime.combine(day, time(18, 0)), project),
                    "place": "Shuanghe Primary School",
                    "facilitators": "social worker, two student tutors",
                    "topic": ("Homework", "Reading", "Games", "Drawing")[week % 4],
                    "materials": "Parenting Education Handbook × 12" if kind == "parenting" else "",
                    "guardians": 3 if kind == "parenting" else 0,
                },
                attendance,
                worker,
                day,
                volunteers={h.id: 1.5 for h in helpers[5:7]} if kind == "after_school" else {},
            )


# Indicators of the social-work initiative computed from the services above: the baseline is
# the figure on the initiative's start date (no service yet), the current value today's.
SERVICE_INDICATORS = [
    ("Children reached by the 4:30 classroom, last 4 weeks", "children", "children_reached",
     "4:30 classroom", 28, 20),
    ("Share of enrolled children with a weekly family call, last 4 weeks", "%",
     "target:family_call", "Weekly family calls", 28, 90),
]  # fmt: skip


def _indicators(project: Any) -> None:
    initiative = db.session.scalar(
        select(Initiative).where(
            Initiative.project_id == project.id, Initiative.title.startswith("Social-work")
        )
    )
    if initiative is None:
        return
    named = {p.name: p.id for p in db.session.scalars(programmes.programmes_query(project))}
    for name, unit, measure, programme, days, target in SERVICE_INDICATORS:
        results.add_indicator(
            initiative,
            {
                "name": name,
                "unit": unit,
                "source": IndicatorSource.SERVICES,
                "service_measure": measure,
                "programme_id": named.get(programme),
                "period_days": days,
                "target": Decimal(target),
            },
        )
