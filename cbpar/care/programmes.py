"""Programmes, enrolment, sessions with attendance, and contact targets (services).

A contact target says "each enrolled child: a contact of this kind at least every N days".
A child is overdue when enrolled for longer than N days with no such contact in the last N
days. Audit events name ids, never children's codes or words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from cbpar import audit
from cbpar.care import notices
from cbpar.care.models import (
    TARGET_CONTACTS,
    AttendanceStatus,
    Child,
    ContactLog,
    ContactTarget,
    Enrolment,
    Programme,
    ProgrammeKind,
    ProgrammeSession,
    SessionAttendance,
    SessionVolunteer,
    TargetKind,
    Volunteer,
)
from cbpar.db import db
from cbpar.editing import apply_changes, check_version, flush_or_conflict
from cbpar.initiatives.models import Initiative
from cbpar.mapping.models import Facility
from cbpar.projects.models import Village

PROGRAMME_FIELDS = (
    "name",
    "kind",
    "village_id",
    "facility_id",
    "initiative_id",
    "schedule",
    "starts_on",
    "ends_on",
)
MAX_EVERY_DAYS = 366
MAX_HOURS = Decimal("24")


def check_hours(hours: Any, name: str = "hours") -> Decimal:
    """Hours as a decimal with one place, from 0 to 24; a CareError otherwise."""
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (ArithmeticError, ValueError):
        raise CareError(name, _("Hours: a number from 0 to 24, e.g. 1.5.")) from None
    if not Decimal(0) <= value <= MAX_HOURS:
        raise CareError(name, _("Hours: a number from 0 to 24, e.g. 1.5."))
    return value


class CareError(ValueError):
    """A rule of services and care refused the change; the message says why, for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


# --- reading ---------------------------------------------------------------------------------


def programmes_query(project: Any) -> Any:
    return (
        select(Programme)
        .where(Programme.project_id == project.id)
        .options(selectinload(Programme.targets))
        .order_by(Programme.name)
    )


def get_programme(project: Any, programme_id: int) -> Programme | None:
    programme = db.session.get(Programme, programme_id)
    return programme if programme is not None and programme.project_id == project.id else None


def get_session(project: Any, session_id: int) -> ProgrammeSession | None:
    session = db.session.get(ProgrammeSession, session_id)
    return session if session is not None and session.project_id == project.id else None


def get_enrolment(project: Any, enrolment_id: int) -> Enrolment | None:
    enrolment = db.session.get(Enrolment, enrolment_id)
    return enrolment if enrolment is not None and enrolment.project_id == project.id else None


def choices(project: Any) -> dict[str, list[tuple[int, str]]]:
    """What a programme may be tied to: the project's villages, facilities, initiatives."""

    def rows(model: Any, label: Any) -> list[tuple[int, str]]:
        return [
            (r.id, str(getattr(r, label)))
            for r in db.session.scalars(
                select(model).where(model.project_id == project.id).order_by(getattr(model, label))
            )
        ]

    return {
        "village_id": rows(Village, "name"),
        "facility_id": rows(Facility, "name"),
        "initiative_id": rows(Initiative, "title"),
    }


def enrolled_counts(project: Any) -> dict[int, int]:
    """Programme id -> children enrolled with no end date (the programmes list)."""
    return dict(
        db.session.execute(
            select(Enrolment.programme_id, func.count())
            .where(Enrolment.project_id == project.id, Enrolment.ends_on.is_(None))
            .group_by(Enrolment.programme_id)
        ).all()
    )


def enrolled_on(project: Any, day: date) -> dict[int, list[int]]:
    """Programme id -> ids of the children enrolled on `day` whose consent stands (by code),
    for every programme of the project in one query (the field app's offline lists)."""
    rows = db.session.execute(
        select(Enrolment.programme_id, Enrolment.child_id)
        .join(Child, Child.id == Enrolment.child_id)
        .where(
            Enrolment.project_id == project.id,
            Enrolment.starts_on <= day,
            (Enrolment.ends_on.is_(None)) | (Enrolment.ends_on >= day),
            Child.withdrawn_at.is_(None),
        )
        .order_by(Enrolment.programme_id, Child.code)
    )
    enrolled: dict[int, list[int]] = {}
    for programme_id, child_id in rows:
        enrolled.setdefault(programme_id, []).append(child_id)
    return enrolled


def enrolments_on(programme: Programme, day: date) -> list[Enrolment]:
    """Children enrolled on `day`, by code (withdrawn children included, marked on pages)."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(Child, Child.id == Enrolment.child_id)
            .where(
                Enrolment.programme_id == programme.id,
                Enrolment.starts_on <= day,
                (Enrolment.ends_on.is_(None)) | (Enrolment.ends_on >= day),
            )
            .options(joinedload(Enrolment.child))
            .order_by(Child.code)
        )
    )


def sessions_query(programme: Programme) -> Any:
    return (
        select(ProgrammeSession)
        .where(ProgrammeSession.programme_id == programme.id)
        .options(selectinload(ProgrammeSession.attendance))
        .order_by(ProgrammeSession.starts_at.desc(), ProgrammeSession.id.desc())
    )


# --- contact targets -------------------------------------------------------------------------


@dataclass
class TargetGap:
    """An enrolled child whose contact target is not met today (`child` has id and code,
    `programme` id and name, `target` id, kind and every_days)."""

    child: Any
    programme: Any
    target: Any
    last_on: date | None

    def days_since(self, today: date) -> int | None:
        return (today - self.last_on).days if self.last_on is not None else None


@dataclass(frozen=True)
class Due:
    """One enrolled child under one contact target: plain values, no ORM objects (fast)."""

    child: SimpleNamespace
    target: SimpleNamespace
    programme: SimpleNamespace
    starts_on: date

    @property
    def child_id(self) -> int:
        return self.child.id


def _due_rows(project: Any, today: date, programme: Programme | None = None) -> list[Due]:
    """Enrolled children whose consent stands, under each target of their programme, today."""
    query = (
        select(
            Enrolment.child_id,
            Child.code,
            Enrolment.starts_on,
            ContactTarget.id,
            ContactTarget.kind,
            ContactTarget.every_days,
            Programme.id,
            Programme.name,
        )
        .join(Programme, Programme.id == Enrolment.programme_id)
        .join(ContactTarget, ContactTarget.programme_id == Programme.id)
        .join(Child, Child.id == Enrolment.child_id)
        .where(
            Enrolment.project_id == project.id,
            Enrolment.starts_on <= today,
            (Enrolment.ends_on.is_(None)) | (Enrolment.ends_on >= today),
            Child.withdrawn_at.is_(None),
        )
    )
    if programme is not None:
        query = query.where(Enrolment.programme_id == programme.id)
    return [
        Due(
            SimpleNamespace(id=child_id, code=code),
            SimpleNamespace(id=target_id, kind=kind, every_days=every),
            SimpleNamespace(id=programme_id, name=name),
            starts_on,
        )
        for child_id, code, starts_on, target_id, kind, every, programme_id, name in (
            db.session.execute(query)
        )
    ]


def _last_contacts(child_ids: set[int]) -> dict[tuple[int, TargetKind], date]:
    """The last contact of each child for each kind of target (one grouped query)."""
    by_contact = {c: t for t, kinds in TARGET_CONTACTS.items() for c in kinds}
    last: dict[tuple[int, TargetKind], date] = {}
    if not child_ids:
        return last
    rows = db.session.execute(
        select(ContactLog.child_id, ContactLog.kind, func.max(ContactLog.on))
        .where(ContactLog.child_id.in_(child_ids))
        .group_by(ContactLog.child_id, ContactLog.kind)
    )
    for child_id, kind, on in rows:
        key = (child_id, by_contact[kind])
        if key not in last or on > last[key]:
            last[key] = on
    return last


def _gaps_of(rows: list[Due], today: date) -> list[TargetGap]:
    last = _last_contacts({row.child_id for row in rows})
    gaps = []
    for row in rows:
        since = today - timedelta(days=row.target.every_days)
        if row.starts_on > since:
            continue  # enrolled too recently for the target to be due
        last_on = last.get((row.child_id, row.target.kind))
        if last_on is None or last_on < since:
            gaps.append(TargetGap(row.child, row.programme, row.target, last_on))
    gaps.sort(key=lambda g: (g.last_on or date.min, g.child.code, g.target.kind.value))
    return gaps


def target_gaps(project: Any, today: date, programme: Programme | None = None) -> list[TargetGap]:
    """Enrolled children (consent not withdrawn) not reached as their programme's targets ask.
    Two queries, whatever the number of programmes."""
    return _gaps_of(_due_rows(project, today, programme), today)


def targets_met(
    project: Any, today: date, programme: Programme | None = None
) -> list[dict[str, Any]]:
    """Per target (of one programme, or per kind and period over all): how many children are
    enrolled for at least its period, and how many of them were reached in it."""
    rows = _due_rows(project, today, programme)
    missing = {(g.child.id, g.target.id) for g in _gaps_of(rows, today)}
    counts: dict[Any, dict[str, Any]] = {}
    for due in rows:
        target = due.target
        key = target.id if programme is not None else (target.kind.value, target.every_days)
        row = counts.setdefault(
            key,
            {"kind": target.kind.value, "every_days": target.every_days, "met": 0, "enrolled": 0},
        )
        if due.starts_on > today - timedelta(days=target.every_days):
            continue
        row["enrolled"] += 1
        row["met"] += (due.child_id, target.id) not in missing
    if programme is not None:  # every target of the programme, in its order, even with none due
        return [
            counts.get(
                t.id, {"kind": t.kind.value, "every_days": t.every_days, "met": 0, "enrolled": 0}
            )
            for t in programme.targets
        ]
    return [counts[k] for k in sorted(counts)]


# --- writing ---------------------------------------------------------------------------------


def _programme_values(project: Any, data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data.get(name) for name in PROGRAMME_FIELDS}
    values["name"] = (values["name"] or "").strip()
    values["schedule"] = (values["schedule"] or "").strip()
    values["kind"] = ProgrammeKind(values["kind"])
    allowed = choices(project)
    for name in ("village_id", "facility_id", "initiative_id"):
        if values[name] is not None and values[name] not in {i for i, _l in allowed[name]}:
            raise CareError(name, _("Choose one of this project's own."))
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        raise CareError("ends_on", _("The end comes after the start."))
    taken = db.session.scalar(
        select(Programme.id).where(
            Programme.project_id == project.id,
            func.lower(Programme.name) == values["name"].lower(),
        )
    )
    if taken is not None and taken != data.get("_id"):
        raise CareError("name", _("Another programme already has this name."))
    return values


def _set_targets(programme: Programme, targets: dict[str, int | None]) -> None:
    wanted = {TargetKind(k): v for k, v in targets.items() if v}
    for target in list(programme.targets):
        if target.kind not in wanted:
            programme.targets.remove(target)
        else:
            target.every_days = wanted.pop(target.kind)
    for kind, days in wanted.items():
        programme.targets.append(ContactTarget(kind=kind, every_days=days))


def create_programme(
    project: Any, data: dict[str, Any], targets: dict[str, int | None], by: Any
) -> Programme:
    programme = Programme(project_id=project.id, **_programme_values(project, data))
    _set_targets(programme, targets)
    db.session.add(programme)
    db.session.flush()
    audit.record("programme_created", programme, project=project.id, actor=by)
    return programme


def update_programme(
    programme: Programme, data: dict[str, Any], targets: dict[str, int | None], version: int
) -> list[str]:
    check_version(programme, version)
    values = _programme_values(programme.project, {**data, "_id": programme.id})
    changed = apply_changes(programme, values, PROGRAMME_FIELDS)
    before = {(t.kind, t.every_days) for t in programme.targets}
    _set_targets(programme, targets)
    if before != {(t.kind, t.every_days) for t in programme.targets}:
        changed.append("targets")
    if changed:
        flush_or_conflict()
        audit.record(
            "programme_updated",
            programme,
            project=programme.project_id,
            details={"fields": changed},
        )
    return changed


def enrol(programme: Programme, child: Child, starts_on: date, by: Any) -> Enrolment:
    if child.project_id != programme.project_id:
        raise CareError("child", _("No child of this project has this code."))
    if child.withdrawn:
        raise CareError("child", _("Consent was withdrawn for this child: no new enrolment."))
    open_one = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.programme_id == programme.id,
            Enrolment.child_id == child.id,
            (Enrolment.ends_on.is_(None)) | (Enrolment.ends_on >= starts_on),
        )
    )
    if open_one is not None:
        raise CareError("child", _("This child is already enrolled in this programme."))
    enrolment = Enrolment(
        project_id=programme.project_id,
        programme_id=programme.id,
        child_id=child.id,
        starts_on=starts_on,
    )
    db.session.add(enrolment)
    db.session.flush()
    audit.record(
        "child_enrolled",
        enrolment,
        project=programme.project_id,
        actor=by,
        details={"programme": programme.id, "child": child.id},
    )
    return enrolment


def end_enrolment(enrolment: Enrolment, ends_on: date, by: Any) -> None:
    if ends_on < enrolment.starts_on:
        raise CareError("ends_on", _("The end comes after the start."))
    enrolment.ends_on = ends_on
    audit.record("enrolment_ended", enrolment, project=enrolment.project_id, actor=by)


def record_session(
    programme: Programme,
    data: dict[str, Any],
    attendance: dict[int, AttendanceStatus],
    by: Any,
    local_day: date,
    volunteers: dict[int, Any] | None = None,
) -> ProgrammeSession:
    """A session with the attendance of children enrolled on its day (others are refused) and
    the volunteers who helped, with their hours."""
    enrolled = {e.child_id for e in enrolments_on(programme, local_day)}
    strangers = set(attendance) - enrolled
    if strangers:
        raise CareError("attendance", _("Only children enrolled on that day can attend."))
    sheet = data.get("sheet_number")
    if sheet is not None:
        taken = db.session.scalar(
            select(ProgrammeSession.id).where(
                ProgrammeSession.project_id == programme.project_id,
                ProgrammeSession.sheet_number == sheet,
            )
        )
        if taken is not None:
            raise CareError("sheet_number", _("This sheet was already entered; nothing was saved."))
    ends_at: datetime | None = data.get("ends_at")
    if ends_at is not None and ends_at < data["starts_at"]:
        raise CareError("ends_at", _("The end comes after the start."))
    session = ProgrammeSession(
        project_id=programme.project_id,
        programme_id=programme.id,
        starts_at=data["starts_at"],
        ends_at=ends_at,
        place=(data.get("place") or "").strip(),
        facilitators=(data.get("facilitators") or "").strip(),
        topic=(data.get("topic") or "").strip(),
        notes=(data.get("notes") or "").replace("\r\n", "\n").strip(),
        materials=(data.get("materials") or "").strip(),
        guardians=data.get("guardians") or 0,
        sheet_number=sheet,
        created_by_id=getattr(by, "id", None),
    )
    for child_id, status in sorted(attendance.items()):
        session.attendance.append(SessionAttendance(child_id=child_id, status=status))
    own = (
        set(
            db.session.scalars(
                select(Volunteer.id).where(Volunteer.project_id == programme.project_id)
            )
        )
        if volunteers
        else set()
    )
    for volunteer_id, hours in sorted((volunteers or {}).items()):
        if volunteer_id not in own:
            raise CareError("volunteers", _("Choose one of this project's own."))
        session.volunteers.append(
            SessionVolunteer(volunteer_id=volunteer_id, hours=check_hours(hours, "volunteers"))
        )
    db.session.add(session)
    db.session.flush()
    present = sum(1 for s in attendance.values() if s == AttendanceStatus.PRESENT)
    audit.record(
        "session_recorded",
        session,
        project=programme.project_id,
        actor=by,
        details={"programme": programme.id, "present": present},
    )
    notices.reflection_waiting(session, programme, local_day, by)
    return session


def next_sheet_number(project: Any) -> int:
    """The number to print on a blank attendance sheet: one more than any entered."""
    highest = db.session.scalar(
        select(func.max(ProgrammeSession.sheet_number)).where(
            ProgrammeSession.project_id == project.id
        )
    )
    return (highest or 0) + 1
