"""Services and care at scale: 5,000 children and 250,000 contacts (called by tests/bench).

Targets from the services-and-care issue: the summary and the dashboard at 5,000 children,
40 programmes with a year of weekday sessions and 250,000 contacts under 300 ms; the overdue
(follow-ups) list under 200 ms. The children list and API are reported alongside."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select

N_CHILDREN = 5_000
N_CONTACTS = 250_000
N_PROGRAMMES = 40
PER_PROGRAMME = 25  # children enrolled in each programme


def add_children_and_contacts(app: Any) -> tuple[int, int]:
    from cbpar.auth.models import User
    from cbpar.care.models import Child, ContactLog
    from cbpar.db import db, utcnow
    from cbpar.mapping.models import Household
    from cbpar.meetings.services import project_today
    from cbpar.projects.models import Project

    rng = random.Random(16)
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        today = project_today(project)
        worker = db.session.scalar(select(User.id).where(User.username == "fieldworker"))
        households = db.session.execute(
            select(Household.id, Household.code)
            .where(Household.project_id == project.id)
            .order_by(Household.id)
            .limit(N_CHILDREN)
        ).all()
        taken = set(db.session.scalars(select(Child.household_id)))
        now = utcnow()
        rows = []
        for household_id, code in households:
            if household_id in taken:
                continue
            age = rng.randrange(1, 17)
            rows.append(
                {
                    "project_id": project.id,
                    "household_id": household_id,
                    "number": 1,
                    "code": f"{code}-1",
                    "birth_year": today.year - age,
                    "birth_month": rng.randrange(1, 13),
                    "sex": rng.choice(["girl", "boy"]),
                    "school": "",
                    "grade": "",
                    "parents_away": "both",
                    "home_visits": "spring_festival",
                    "caregiver": "grandparents",
                    "session_name": "",
                    "consent_on": today - timedelta(days=400),
                    "consent_given_by": "guardian",
                    "assent_on": today - timedelta(days=400) if age >= 8 else None,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        db.session.execute(insert(Child), rows)
        child_ids = list(db.session.scalars(select(Child.id).where(Child.project_id == project.id)))
        contacts = []
        for i in range(N_CONTACTS):
            on = today - timedelta(days=rng.randrange(0, 365))
            follow = None
            if rng.random() < 0.05:
                follow = on + timedelta(days=rng.randrange(1, 30))
            contacts.append(
                {
                    "project_id": project.id,
                    "child_id": child_ids[i % len(child_ids)],
                    "kind": rng.choice(["video_call", "phone_call", "home_visit"]),
                    "on": on,
                    "minutes": rng.randrange(5, 60),
                    "with_whom": "mother",
                    "by_id": worker,
                    "summary": "Synthetic contact.",
                    "issues": "",
                    "follow_up_on": follow,
                    # Most follow-ups were done; those left open make the overdue list.
                    "follow_up_done_on": follow if follow and rng.random() < 0.9 else None,
                    "created_at": now,
                }
            )
            if len(contacts) == 25_000:
                db.session.execute(insert(ContactLog), contacts)
                contacts = []
        if contacts:
            db.session.execute(insert(ContactLog), contacts)
        _programmes(project, child_ids, today, rng)
        db.session.commit()
        return len(child_ids), N_CONTACTS


def _programmes(project: Any, child_ids: list[int], today: Any, rng: random.Random) -> None:
    """40 programmes, each with 25 children and a session every weekday for a year."""
    from datetime import UTC, datetime, time

    from cbpar.care.models import (
        ContactTarget,
        Enrolment,
        Programme,
        ProgrammeSession,
        SessionAttendance,
    )
    from cbpar.db import db, utcnow

    now = utcnow()
    start = today - timedelta(days=365)
    days = [
        start + timedelta(days=i) for i in range(366) if (start + timedelta(days=i)).weekday() < 5
    ]
    for p in range(N_PROGRAMMES):
        programme = Programme(
            project_id=project.id,
            name=f"Synthetic programme {p}",
            kind="after_school",
            schedule="weekdays",
            targets=[ContactTarget(kind="family_call", every_days=7)],
        )
        db.session.add(programme)
        db.session.flush()
        members = child_ids[p * PER_PROGRAMME : (p + 1) * PER_PROGRAMME]
        db.session.execute(
            insert(Enrolment),
            [
                {"project_id": project.id, "programme_id": programme.id, "child_id": c,
                 "starts_on": start, "created_at": now}
                for c in members
            ],
        )  # fmt: skip
        db.session.execute(
            insert(ProgrammeSession),
            [
                {"project_id": project.id, "programme_id": programme.id,
                 "starts_at": datetime.combine(day, time(8, 30), tzinfo=UTC), "place": "",
                 "facilitators": "", "topic": "", "notes": "", "materials": "", "guardians": 0,
                 "created_at": now}
                for day in days
            ],
        )  # fmt: skip
        session_ids = db.session.scalars(
            select(ProgrammeSession.id).where(ProgrammeSession.programme_id == programme.id)
        ).all()
        db.session.execute(
            insert(SessionAttendance),
            [
                {"session_id": s, "child_id": c,
                 "status": "present" if rng.random() < 0.85 else "absent"}
                for s in session_ids
                for c in members
            ],
        )  # fmt: skip


def run(
    app: Any,
    client: Any,
    report: Any,
    median_seconds: Callable[..., tuple[float, Any]],
    count_queries: Callable[..., int],
) -> None:
    children, contacts = add_children_and_contacts(app)
    print(
        f"Services and care ({children:,} children, {contacts:,} contacts, {N_PROGRAMMES}"
        f" programmes with a year of weekday sessions, {PER_PROGRAMME} children each)"
    )

    def get(url: str):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    seconds, _ = median_seconds(lambda: get("/projects/demo/follow-ups"))
    report.target("follow-ups due (overdue list), first page", seconds * 1000, 200, "ms")
    report.info("SQL statements", str(count_queries(app, lambda: get("/projects/demo/follow-ups"))))
    seconds, _ = median_seconds(lambda: get("/api/v1/projects/demo/services/summary"))
    report.target("services summary API, last 4 weeks", seconds * 1000, 300, "ms")
    year = "from=" + (date.today() - timedelta(days=364)).isoformat()
    seconds, _ = median_seconds(lambda: get("/projects/demo/services"))
    report.target("services dashboard page, last 4 weeks", seconds * 1000, 300, "ms")
    # A whole year: the months wholly inside it come from the monthly roll-up
    # (cbpar/care/rollup.py), only the days at its two ends from the ~510,000 attendance and
    # contact rows of the year.
    seconds, _ = median_seconds(lambda: get(f"/api/v1/projects/demo/services/summary?{year}"))
    report.target("services summary API, a whole year", seconds * 1000, 300, "ms")
    seconds, _ = median_seconds(lambda: get(f"/projects/demo/services?{year}"))
    report.target("services dashboard page, a whole year", seconds * 1000, 300, "ms")
    seconds, _ = median_seconds(lambda: get("/projects/demo/children?page=40"))
    report.info("children list, page 40", f"{seconds * 1000:,.1f} ms")
    seconds, _ = median_seconds(lambda: get("/api/v1/projects/demo/children?per_page=500"))
    report.info("children API, 500 per page", f"{seconds * 1000:,.1f} ms")
