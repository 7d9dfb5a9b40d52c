"""Volunteers, their training and service diaries, and their hours (services).

Hours are counted once: the hours recorded for a volunteer at a session, plus the hours of
diary entries not tied to a session (a diary entry written after a session carries that
session's reflection, not more hours). A volunteer is inactive after 30 days with neither.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from cbpar import audit
from cbpar.care.models import (
    DiaryEntry,
    ProgrammeSession,
    SessionVolunteer,
    Volunteer,
    VolunteerKind,
    VolunteerTraining,
)
from cbpar.care.programmes import CareError, check_hours
from cbpar.db import db
from cbpar.meetings.services import to_local
from cbpar.memos import services as memos
from cbpar.memos.models import MemoKind, Visibility
from cbpar.projects.models import Village
from cbpar.web import MAX_INT

INACTIVE_AFTER_DAYS = 30


def volunteers_query(project: Any) -> Any:
    return (
        select(Volunteer).where(Volunteer.project_id == project.id).order_by(Volunteer.display_name)
    )


def get_volunteer(project: Any, volunteer_id: int) -> Volunteer | None:
    volunteer = db.session.get(Volunteer, volunteer_id)
    return volunteer if volunteer is not None and volunteer.project_id == project.id else None


def active_on(project: Any, day: date) -> list[Volunteer]:
    return [
        v
        for v in db.session.scalars(volunteers_query(project))
        if (v.active_from is None or v.active_from <= day)
        and (v.active_to is None or v.active_to >= day)
    ]


def _village_ids(project: Any) -> set[int]:
    return set(db.session.scalars(select(Village.id).where(Village.project_id == project.id)))


def create_volunteer(project: Any, data: dict[str, Any], by: Any) -> Volunteer:
    name = (data.get("display_name") or "").strip()
    if not name:
        raise CareError("display_name", _("A name the team knows the volunteer by."))
    taken = db.session.scalar(
        select(Volunteer.id).where(
            Volunteer.project_id == project.id,
            func.lower(Volunteer.display_name) == name.lower(),
        )
    )
    if taken is not None:
        raise CareError("display_name", _("Another volunteer already has this name."))
    village_id = data.get("village_id")
    if village_id is not None and village_id not in _village_ids(project):
        raise CareError("village_id", _("Choose one of this project's own."))
    start, end = data.get("active_from"), data.get("active_to")
    if start and end and end < start:
        raise CareError("active_to", _("The end comes after the start."))
    volunteer = Volunteer(
        project_id=project.id,
        display_name=name,
        kind=VolunteerKind(data.get("kind") or VolunteerKind.OTHER),
        village_id=village_id,
        active_from=start,
        active_to=end,
    )
    db.session.add(volunteer)
    db.session.flush()
    audit.record("volunteer_added", volunteer, project=project.id, actor=by)
    return volunteer


def add_training(volunteer: Volunteer, course: str, on: date, hours: Any) -> VolunteerTraining:
    if not course.strip():
        raise CareError("course", _("Name the course."))
    training = VolunteerTraining(course=course.strip(), on=on, hours=check_hours(hours))
    volunteer.trainings.append(training)
    db.session.flush()
    return training


def add_diary(volunteer: Volunteer, data: dict[str, Any], by: Any) -> DiaryEntry:
    """A diary entry; its reflection becomes a team memo of kind reflection note."""
    services = data.get("services")
    if not isinstance(services, int) or isinstance(services, bool) or not 0 <= services <= 1000:
        raise CareError("services", _("Services: a whole number from 0."))
    hours = check_hours(data.get("hours"))
    session_id = data.get("session_id")
    if session_id is not None:
        session = (
            db.session.get(ProgrammeSession, session_id) if 0 < session_id <= MAX_INT else None
        )
        if session is None or session.project_id != volunteer.project_id:
            raise CareError("session_id", _("Choose one of this project's own."))
    entry = DiaryEntry(
        project_id=volunteer.project_id,
        volunteer_id=volunteer.id,
        on=data["on"],
        services=services,
        hours=hours,
        session_id=session_id,
    )
    reflection = (data.get("reflection") or "").replace("\r\n", "\n").strip()
    if reflection:
        title = _(
            "Reflection of %(name)s, %(day)s", name=volunteer.display_name, day=entry.on.isoformat()
        )
        memo = memos.create_memo(
            volunteer.project,
            by,
            {
                "title": title,
                "body": reflection,
                "kind": MemoKind.REFLECTION_NOTE.value,
                "visibility": Visibility.TEAM.value,
            },
        )
        db.session.flush()
        entry.memo_id = memo.id
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "diary_entry_added",
        entry,
        project=volunteer.project_id,
        actor=by,
        details={"volunteer": volunteer.id},
    )
    return entry


def diary_of(volunteer: Volunteer) -> list[DiaryEntry]:
    return list(
        db.session.scalars(
            select(DiaryEntry)
            .where(DiaryEntry.volunteer_id == volunteer.id)
            .order_by(DiaryEntry.on.desc(), DiaryEntry.id.desc())
        )
    )


@dataclass
class Hours:
    """A volunteer's hours and services in a period, with the months they fall in."""

    hours: Decimal = Decimal(0)
    services: int = 0
    sessions: int = 0
    last_on: date | None = None
    by_month: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, day: date, hours: Decimal, services: int = 0, session: bool = False) -> None:
        self.hours += hours
        self.services += services
        self.sessions += int(session)
        self.by_month[day.strftime("%Y-%m")] += hours
        if self.last_on is None or day > self.last_on:
            self.last_on = day


def hours_by_volunteer(
    project: Any, start: date | None = None, end: date | None = None
) -> dict[int, Hours]:
    """Hours per volunteer between `start` and `end` (inclusive; open when None)."""
    totals: dict[int, Hours] = defaultdict(Hours)
    diary = select(DiaryEntry.volunteer_id, DiaryEntry.on, DiaryEntry.hours, DiaryEntry.services,
                   DiaryEntry.session_id).where(DiaryEntry.project_id == project.id)  # fmt: skip
    if start:
        diary = diary.where(DiaryEntry.on >= start)
    if end:
        diary = diary.where(DiaryEntry.on <= end)
    for volunteer_id, on, hours, services, session_id in db.session.execute(diary):
        totals[volunteer_id].add(on, Decimal(0) if session_id else Decimal(hours), services)
    sessions = (
        select(SessionVolunteer.volunteer_id, ProgrammeSession.starts_at, SessionVolunteer.hours)
        .join(ProgrammeSession, ProgrammeSession.id == SessionVolunteer.session_id)
        .where(ProgrammeSession.project_id == project.id)
    )
    for volunteer_id, starts_at, hours in db.session.execute(sessions):
        day = to_local(starts_at, project).date()  # the session's day where it was held
        if (start and day < start) or (end and day > end):
            continue
        totals[volunteer_id].add(day, Decimal(hours), 1, session=True)
    return totals


def inactive(volunteer: Volunteer, hours: Hours | None, today: date) -> bool:
    """Active (by their dates) but with no session or diary entry for 30 days."""
    if volunteer.active_to is not None and volunteer.active_to < today:
        return False
    since = today - timedelta(days=INACTIVE_AFTER_DAYS)
    if volunteer.active_from is not None and volunteer.active_from > since:
        return False
    return hours is None or hours.last_on is None or hours.last_on < since


def reflected_on(session: ProgrammeSession) -> set[int]:
    """Volunteers who wrote their diary entry for this session (the others are prompted)."""
    return set(
        db.session.scalars(
            select(DiaryEntry.volunteer_id).where(DiaryEntry.session_id == session.id)
        )
    )
