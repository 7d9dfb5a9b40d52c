"""Services in the initiatives' chain: what services and care measure for initiative
indicators, the chain's "services delivered" step and the figures per village of the
transparency page and the report. Registered with cbpar.initiatives.results through
integration.py; initiatives show them, this module computes them.

How a figure is counted:

- **sessions**: sessions held in the period (in a village: of the programmes of that village);
- **children reached**: distinct children present at a session or contacted in the period (for
  one programme: present at its sessions, or contacted while enrolled in it; in a village: the
  children of its households);
- **attendance rate**: present out of listed, in per cent;
- **volunteer hours**: hours at sessions plus diary entries not tied to a session (for one
  programme: hours at its sessions; in a village: of the volunteers of that village);
- **share meeting a contact target**: of the children enrolled on the last day (for at least the
  target's period, consent standing), those who never went longer than the target's period
  without such a contact during the period, in per cent.

Every figure here is a total; nothing names or identifies a child. Shaping for an audience
(small numbers) is done by initiatives with cbpar.privacy.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, union

from cbpar import privacy
from cbpar.batch import Batch
from cbpar.care.models import (
    TARGET_CONTACTS,
    AttendanceStatus,
    Child,
    ContactLog,
    ContactTarget,
    DiaryEntry,
    Enrolment,
    Programme,
    ProgrammeSession,
    SessionAttendance,
    SessionVolunteer,
    TargetKind,
    Volunteer,
)
from cbpar.db import db
from cbpar.initiatives.results import (
    Measured,
    MeasureSource,
    ServiceMeasure,
    ServiceQuery,
    ServicesStep,
)
from cbpar.mapping.models import Household
from cbpar.meetings.services import project_today, to_utc
from cbpar.projects.models import Village

PER_CENT = Decimal(100)
RECENT_DAYS = 28  # the chain's attendance rate: the last 4 weeks
ONE_PLACE = Decimal("0.1")


def _rate(part: int, whole: int) -> Decimal | None:
    return (PER_CENT * part / whole).quantize(ONE_PLACE) if whole else None


# --- the conditions of a query ---------------------------------------------------------------


def _session_conditions(project: Any, q: ServiceQuery) -> list[Any]:
    """Sessions of the project held in the period (local days), of one programme."""
    conditions = [ProgrammeSession.project_id == project.id]
    if q.start is not None:
        conditions.append(
            ProgrammeSession.starts_at >= to_utc(datetime.combine(q.start, time.min), project)
        )
    end = to_utc(datetime.combine(q.end + timedelta(days=1), time.min), project)
    conditions.append(ProgrammeSession.starts_at < end)
    if q.programme_id is not None:
        conditions.append(ProgrammeSession.programme_id == q.programme_id)
    return conditions


def _child_in_village(village_id: int) -> Any:
    return Child.household_id.in_(select(Household.id).where(Household.village_id == village_id))


def _present(project: Any, q: ServiceQuery) -> Any:
    query = (
        select(SessionAttendance.child_id.label("child_id"))
        .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
        .where(*_session_conditions(project, q))
        .where(SessionAttendance.status == AttendanceStatus.PRESENT)
    )
    if q.village_id is not None:
        query = query.join(Child, Child.id == SessionAttendance.child_id).where(
            _child_in_village(q.village_id)
        )
    return query


def _contacted(project: Any, q: ServiceQuery) -> Any:
    query = select(ContactLog.child_id.label("child_id")).where(
        ContactLog.project_id == project.id, ContactLog.on <= q.end
    )
    if q.start is not None:
        query = query.where(ContactLog.on >= q.start)
    if q.programme_id is not None:  # contacted while enrolled in the programme
        query = query.join(
            Enrolment,
            (Enrolment.child_id == ContactLog.child_id)
            & (Enrolment.programme_id == q.programme_id)
            & (Enrolment.starts_on <= ContactLog.on)
            & (Enrolment.ends_on.is_(None) | (Enrolment.ends_on >= ContactLog.on)),
        )
    if q.village_id is not None:
        query = query.join(Child, Child.id == ContactLog.child_id).where(
            _child_in_village(q.village_id)
        )
    return query


# --- the measures ----------------------------------------------------------------------------


def sessions(project: Any, q: ServiceQuery) -> Measured:
    query = (
        select(func.count()).select_from(ProgrammeSession).where(*_session_conditions(project, q))
    )
    if q.village_id is not None:
        query = query.join(Programme, Programme.id == ProgrammeSession.programme_id).where(
            Programme.village_id == q.village_id
        )
    return Measured(Decimal(db.session.scalar(query) or 0))


def children_reached(project: Any, q: ServiceQuery) -> Measured:
    reached = union(_present(project, q), _contacted(project, q)).subquery()
    count = int(db.session.scalar(select(func.count()).select_from(reached)) or 0)
    return Measured(Decimal(count), count)


def attendance_rate(project: Any, q: ServiceQuery) -> Measured:
    query = (
        select(
            func.count(),
            func.count(func.distinct(SessionAttendance.child_id)),
            func.coalesce(
                func.sum(case((SessionAttendance.status == AttendanceStatus.PRESENT, 1), else_=0)),
                0,
            ),
        )
        .select_from(SessionAttendance)
        .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
        .where(*_session_conditions(project, q))
    )
    if q.village_id is not None:
        query = query.join(Child, Child.id == SessionAttendance.child_id).where(
            _child_in_village(q.village_id)
        )
    listed, children, present = db.session.execute(query).one()
    return Measured(_rate(int(present), int(listed)), int(children))


def volunteer_hours(project: Any, q: ServiceQuery) -> Measured:
    at_sessions = (
        select(func.coalesce(func.sum(SessionVolunteer.hours), 0))
        .join(ProgrammeSession, ProgrammeSession.id == SessionVolunteer.session_id)
        .where(*_session_conditions(project, q))
    )
    if q.village_id is not None:
        at_sessions = at_sessions.join(
            Volunteer, Volunteer.id == SessionVolunteer.volunteer_id
        ).where(Volunteer.village_id == q.village_id)
    total = Decimal(str(db.session.scalar(at_sessions) or 0))
    if q.programme_id is None:  # diary entries belong to no programme
        diary = select(func.coalesce(func.sum(DiaryEntry.hours), 0)).where(
            DiaryEntry.project_id == project.id,
            DiaryEntry.session_id.is_(None),
            DiaryEntry.on <= q.end,
        )
        if q.start is not None:
            diary = diary.where(DiaryEntry.on >= q.start)
        if q.village_id is not None:
            diary = diary.join(Volunteer, Volunteer.id == DiaryEntry.volunteer_id).where(
                Volunteer.village_id == q.village_id
            )
        total += Decimal(str(db.session.scalar(diary) or 0))
    return Measured(total.quantize(ONE_PLACE))


def _met_throughout(contacts: list[date], start: date, end: date, every: int) -> bool:
    """On every day from `start` to `end`, a contact in the `every` days before (as the
    overdue list counts: a contact on day d - every still counts on day d)."""
    day = start
    while day <= end:
        i = bisect_right(contacts, day)
        if i == 0 or contacts[i - 1] < day - timedelta(days=every):
            return False
        day = contacts[i - 1] + timedelta(days=every + 1)
    return True


def target_share(kind: TargetKind) -> Callable[[Any, ServiceQuery], Measured]:
    def compute(project: Any, q: ServiceQuery) -> Measured:
        if q.start is not None and q.start > q.end:
            return Measured(None, 0)  # a period that has not begun (an initiative to come)
        due = (
            select(Enrolment.child_id, Enrolment.starts_on, ContactTarget.every_days)
            .join(ContactTarget, ContactTarget.programme_id == Enrolment.programme_id)
            .join(Child, Child.id == Enrolment.child_id)
            .where(
                Enrolment.project_id == project.id,
                ContactTarget.kind == kind,
                Enrolment.starts_on <= q.end,
                Enrolment.ends_on.is_(None) | (Enrolment.ends_on >= q.end),
                Child.withdrawn_at.is_(None),
            )
        )
        if q.programme_id is not None:
            due = due.where(Enrolment.programme_id == q.programme_id)
        if q.village_id is not None:
            due = due.where(_child_in_village(q.village_id))
        # Each child once: the strictest target of the programmes they are enrolled in, from
        # the day their first enrolment made it due.
        children: dict[int, tuple[date, int]] = {}
        for child_id, starts_on, every in db.session.execute(due):
            earliest = starts_on + timedelta(days=every)
            if earliest > q.end:
                continue  # enrolled too recently for the target to be due
            known = children.get(child_id)
            if known is None or every < known[1]:
                children[child_id] = (earliest, every)
        if not children:
            return Measured(None, 0)
        start = q.start or min(earliest for earliest, _every in children.values())
        longest = max(every for _earliest, every in children.values())
        contacts: dict[int, list[date]] = defaultdict(list)
        rows = db.session.execute(
            select(ContactLog.child_id, ContactLog.on)
            .where(
                ContactLog.project_id == project.id,
                ContactLog.child_id.in_(list(children)),
                ContactLog.kind.in_(TARGET_CONTACTS[kind]),
                ContactLog.on >= start - timedelta(days=longest),
                ContactLog.on <= q.end,
            )
            .order_by(ContactLog.on)
        )
        for child_id, on in rows:
            contacts[child_id].append(on)
        met = sum(
            _met_throughout(contacts[child_id], max(start, earliest), q.end, every)
            for child_id, (earliest, every) in children.items()
        )
        return Measured(_rate(met, len(children)), len(children))

    return compute


TARGET_LABELS = {
    TargetKind.FAMILY_CALL: _l("Share of enrolled children meeting their call target (%)"),
    TargetKind.HOME_VISIT: _l("Share of enrolled children meeting their home-visit target (%)"),
    TargetKind.TEACHER_VISIT: _l(
        "Share of enrolled children meeting their class-teacher visit target (%)"
    ),
    TargetKind.TALK: _l("Share of enrolled children meeting their heart-to-heart talk target (%)"),
}


def measures() -> list[ServiceMeasure]:
    return [
        ServiceMeasure(
            "children_reached",
            _l("Children reached (each counted once)"),
            children_reached,
            children=True,
        ),
        ServiceMeasure("sessions", _l("Sessions delivered"), sessions),
        ServiceMeasure("attendance_rate", _l("Attendance rate (%)"), attendance_rate, share=True),
        ServiceMeasure("volunteer_hours", _l("Volunteer hours"), volunteer_hours),
        *(
            ServiceMeasure(f"target:{kind.value}", label, target_share(kind), share=True)
            for kind, label in TARGET_LABELS.items()
        ),
    ]


def programme_choices(project: Any) -> list[tuple[int, str]]:
    return [
        (row.id, row.name)
        for row in db.session.execute(
            select(Programme.id, Programme.name)
            .where(Programme.project_id == project.id)
            .order_by(Programme.name)
        )
    ]


# --- the chain's step and the figures per village --------------------------------------------


def _ever_reached() -> Any:
    """A child ever present at a session or contacted: two index probes per child of the
    project (cheaper than gathering every contact of a large project)."""
    present = (
        select(SessionAttendance.id)
        .where(
            SessionAttendance.child_id == Child.id,
            SessionAttendance.status == AttendanceStatus.PRESENT,
        )
        .exists()
    )
    contacted = select(ContactLog.id).where(ContactLog.child_id == Child.id).exists()
    return contacted | present  # the contact first: an index probe, no row to read


def chain_step(batch: Batch, project: Any) -> Callable[[], ServicesStep]:
    """The chain's "services delivered" step, every service recorded so far (the attendance
    rate: of the last 4 weeks), added to the overview's batch (no statement of its own)."""
    today = project_today(project)
    programmes = batch.scalar(
        select(func.count()).select_from(Programme).where(Programme.project_id == project.id)
    )
    held = batch.scalar(
        select(func.count())
        .select_from(ProgrammeSession)
        .where(ProgrammeSession.project_id == project.id)
    )
    reached = batch.scalar(
        select(func.count())
        .select_from(Child)
        .where(Child.project_id == project.id, _ever_reached())
    )
    # The attendance rate of the last 4 weeks: the sessions of a month, not every attendance
    # mark ever made (a year of a large project is a quarter of a million).
    recent = ServiceQuery(today - timedelta(days=RECENT_DAYS - 1), today)
    marks = (
        select(SessionAttendance.id, SessionAttendance.child_id, SessionAttendance.status)
        .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
        .where(*_session_conditions(project, recent))
        .subquery()
    )
    listed = batch.scalar(select(func.count()).select_from(marks))
    present = batch.scalar(
        select(func.count()).select_from(marks).where(marks.c.status == AttendanceStatus.PRESENT)
    )
    # Only whether 1 to 4 children were listed matters (the rate is then not shown to all).
    listed_children = batch.scalar(
        select(func.count()).select_from(
            select(marks.c.child_id).distinct().limit(privacy.SMALL_NUMBER_LIMIT).subquery()
        )
    )
    session_hours = batch.scalar(
        select(func.coalesce(func.sum(SessionVolunteer.hours), 0))
        .join(ProgrammeSession, ProgrammeSession.id == SessionVolunteer.session_id)
        .where(ProgrammeSession.project_id == project.id)
    )
    diary_hours = batch.scalar(
        select(func.coalesce(func.sum(DiaryEntry.hours), 0)).where(
            DiaryEntry.project_id == project.id, DiaryEntry.session_id.is_(None)
        )
    )

    def ready() -> ServicesStep:
        hours = Decimal(str(session_hours.value or 0)) + Decimal(str(diary_hours.value or 0))
        return ServicesStep(
            programmes=int(programmes.value or 0),
            sessions=int(held.value or 0),
            children_reached=int(reached.value or 0),
            attendance_rate=_rate(int(present.value or 0), int(listed.value or 0)),
            volunteer_hours=hours.quantize(ONE_PLACE),
            children_listed=int(listed_children.value or 0),
            attendance_days=RECENT_DAYS,
        )

    return ready


def by_village(project: Any) -> list[dict[str, Any]]:
    """Every service recorded so far per village: sessions of the village's programmes,
    children of its households reached (each once), hours of its volunteers. Services with no
    village come last, as "No village", when there are any."""
    sessions_of = dict(
        db.session.execute(
            select(Programme.village_id, func.count())
            .select_from(ProgrammeSession)
            .join(Programme, Programme.id == ProgrammeSession.programme_id)
            .where(ProgrammeSession.project_id == project.id)
            .group_by(Programme.village_id)
        ).all()
    )
    children_of = dict(
        db.session.execute(
            select(Household.village_id, func.count())
            .select_from(Child)
            .join(Household, Household.id == Child.household_id)
            .where(Child.project_id == project.id, _ever_reached())
            .group_by(Household.village_id)
        ).all()
    )
    hours_of: dict[int | None, Decimal] = defaultdict(Decimal)
    for village_id, hours in db.session.execute(
        select(Volunteer.village_id, func.coalesce(func.sum(SessionVolunteer.hours), 0))
        .select_from(SessionVolunteer)
        .join(ProgrammeSession, ProgrammeSession.id == SessionVolunteer.session_id)
        .join(Volunteer, Volunteer.id == SessionVolunteer.volunteer_id)
        .where(ProgrammeSession.project_id == project.id)
        .group_by(Volunteer.village_id)
    ):
        hours_of[village_id] += Decimal(str(hours))
    for village_id, hours in db.session.execute(
        select(Volunteer.village_id, func.coalesce(func.sum(DiaryEntry.hours), 0))
        .select_from(DiaryEntry)
        .join(Volunteer, Volunteer.id == DiaryEntry.volunteer_id)
        .where(DiaryEntry.project_id == project.id, DiaryEntry.session_id.is_(None))
        .group_by(Volunteer.village_id)
    ):
        hours_of[village_id] += Decimal(str(hours))

    def row(village_id: int | None, name: str) -> dict[str, Any]:
        return {
            "village": name,
            "sessions": int(sessions_of.get(village_id, 0)),
            "children_reached": int(children_of.get(village_id, 0)),
            "volunteer_hours": hours_of.get(village_id, Decimal(0)).quantize(ONE_PLACE),
        }

    villages = db.session.execute(
        select(Village.id, Village.name)
        .where(Village.project_id == project.id)
        .order_by(Village.name)
    ).all()
    rows = [row(vid, name) for vid, name in villages]
    if sessions_of.get(None) or hours_of.get(None):
        rows.append(row(None, str(_l("No village"))))
    return rows


def source() -> MeasureSource:
    return MeasureSource(
        measures=measures(),
        programmes=programme_choices,
        chain=chain_step,
        villages=by_village,
    )
