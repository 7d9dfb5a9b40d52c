"""Programmes, enrolments and sessions in the JSON API (field roles only: others get 403).

The same rules as the pages (cbpar/care/programmes.py); every POST accepts a `client_id`.
Session times are ISO 8601 with an offset (UTC if none is given)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar import privacy
from cbpar.access import require, require_login
from cbpar.api import bp
from cbpar.api.writing import (
    answer,
    bad_request,
    check_fields,
    created_once,
    json_body,
    member_project,
)
from cbpar.care import figures, programmes, volunteers
from cbpar.care.models import (
    AttendanceStatus,
    Child,
    DiaryEntry,
    Programme,
    ProgrammeKind,
    TargetKind,
    Volunteer,
    VolunteerKind,
)
from cbpar.db import db
from cbpar.meetings.services import project_today, to_local
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import MAX_INT

PROGRAMME_FIELDS = (*programmes.PROGRAMME_FIELDS, "contact_targets")
SESSION_FIELDS = (
    "starts_at",
    "ends_at",
    "place",
    "facilitators",
    "topic",
    "notes",
    "materials",
    "guardians",
    "attendance",
    "volunteers",
    "sheet_number",
)


def programme_json(programme: Programme) -> dict[str, Any]:
    return {
        "id": programme.id,
        "name": programme.name,
        "kind": programme.kind.value,
        "village_id": programme.village_id,
        "facility_id": programme.facility_id,
        "initiative_id": programme.initiative_id,
        "schedule": programme.schedule,
        "starts_on": programme.starts_on.isoformat() if programme.starts_on else None,
        "ends_on": programme.ends_on.isoformat() if programme.ends_on else None,
        "contact_targets": [
            {"kind": t.kind.value, "every_days": t.every_days} for t in programme.targets
        ],
        "version": programme.version,
    }


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str) or len(value) > limit:
        raise bad_request(
            name, _("%(field)s: text of at most %(n)d characters.", field=name, n=limit)
        )
    return value


def _id_or_none(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_INT:
        raise bad_request(name, _("%(field)s: an id, or null.", field=name))
    return value


def _day(body: dict[str, Any], name: str, required: bool = False) -> date | None:
    value = body.get(name)
    if value is None and not required:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad_request(name, _("%(field)s: a date, YYYY-MM-DD.", field=name)) from None


def _moment(body: dict[str, Any], name: str, required: bool = False) -> datetime | None:
    value = body.get(name)
    if value is None and not required:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad_request(
            name, _("%(field)s: a date and time, e.g. 2026-11-30T16:30:00+08:00.", field=name)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _targets(body: dict[str, Any]) -> dict[str, int | None]:
    raw = body.get("contact_targets") or []
    message = _(
        'contact_targets: a list of {"kind": family_call, home_visit, teacher_visit or talk,'
        ' "every_days": 1 to 366}.'
    )
    if not isinstance(raw, list):
        raise bad_request("contact_targets", message)
    targets: dict[str, int | None] = {}
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"kind", "every_days"}:
            raise bad_request("contact_targets", message)
        kind, days = item["kind"], item["every_days"]
        if kind not in {k.value for k in TargetKind} or kind in targets:
            raise bad_request("contact_targets", message)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
            raise bad_request("contact_targets", message)
        targets[kind] = days
    return targets


@bp.route("/projects/<slug>/programmes", methods=["GET", "POST"])
@require(Cap.SEE_CHILDREN, write=Cap.RECORD_CARE)
def programmes_api(project: Project):
    if request.method == "GET":
        rows = db.session.scalars(programmes.programmes_query(project))
        return answer({"programmes": [programme_json(p) for p in rows]})
    body = json_body()
    check_fields(body, PROGRAMME_FIELDS)

    def make() -> Callable[[], Any]:
        name = _text(body, "name", 200).strip()
        if not name:
            raise bad_request("name", _("name: required."))
        if body.get("kind") not in {k.value for k in ProgrammeKind}:
            raise bad_request("kind", _("kind: one of the kinds of programme."))
        data = {
            "name": name,
            "kind": body["kind"],
            "village_id": _id_or_none(body, "village_id"),
            "facility_id": _id_or_none(body, "facility_id"),
            "initiative_id": _id_or_none(body, "initiative_id"),
            "schedule": _text(body, "schedule", 200),
            "starts_on": _day(body, "starts_on"),
            "ends_on": _day(body, "ends_on"),
        }
        targets = _targets(body)
        return lambda: programmes.create_programme(project, data, targets, current_user)

    found, created = created_once(project, "programme", body, make)
    programme = programmes.get_programme(project, found) or abort(404)
    return answer(programme_json(programme), 201 if created else 200)


# The fields of services and care's rules, as the API names them.
API_FIELDS = {"child": "child_id"}


@bp.errorhandler(programmes.CareError)
def _care_problem(exc: programmes.CareError) -> Any:
    """A rule of services and care refused the record (nothing was saved): a 400 naming it."""
    field = API_FIELDS.get(exc.field, exc.field)
    return bad_request(field, f"{field}: {exc.message}").response


def _load(programme_id: int) -> tuple[Programme, Project]:
    programme = db.session.get(Programme, programme_id) or abort(404)
    project = member_project(programme.project_id)
    if not membership_can(g.membership, Cap.RECORD_CARE):
        abort(403)
    return programme, project


@bp.route("/programmes/<int:programme_id>/enrolments", methods=["POST"])
@require_login
def enrolments_api(programme_id: int):
    programme, project = _load(programme_id)
    body = json_body()
    check_fields(body, ("child_id", "starts_on"))

    def make() -> Callable[[], Any]:
        child_id = _id_or_none(body, "child_id")
        child = db.session.get(Child, child_id) if child_id is not None else None
        if child is None or child.project_id != project.id:
            raise bad_request("child_id", _("child_id: the id of a child of this project."))
        starts_on = _day(body, "starts_on", required=True)
        return lambda: programmes.enrol(programme, child, starts_on, current_user)

    found, created = created_once(project, "enrolment", body, make)
    enrolment = programmes.get_enrolment(project, found) or abort(404)
    result = {
        "id": enrolment.id,
        "programme_id": enrolment.programme_id,
        "child_id": enrolment.child_id,
        "starts_on": enrolment.starts_on.isoformat(),
        "ends_on": enrolment.ends_on.isoformat() if enrolment.ends_on else None,
    }
    return answer(result, 201 if created else 200)


def _attendance(body: dict[str, Any]) -> dict[int, AttendanceStatus]:
    raw = body.get("attendance") or []
    message = _(
        'attendance: a list of {"child_id", "status": present, absent or excused}, each child once.'
    )
    if not isinstance(raw, list):
        raise bad_request("attendance", message)
    result: dict[int, AttendanceStatus] = {}
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"child_id", "status"}:
            raise bad_request("attendance", message)
        child_id, status = item["child_id"], item["status"]
        if not isinstance(child_id, int) or isinstance(child_id, bool) or child_id in result:
            raise bad_request("attendance", message)
        if status not in {s.value for s in AttendanceStatus}:
            raise bad_request("attendance", message)
        result[child_id] = AttendanceStatus(status)
    return result


def _sheet(body: dict[str, Any]) -> int | None:
    value = body.get("sheet_number")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_000_000:
        raise bad_request("sheet_number", _("sheet_number: the number printed on the sheet."))
    return value


def _helpers(body: dict[str, Any]) -> dict[int, Any]:
    raw = body.get("volunteers") or []
    message = _('volunteers: a list of {"volunteer_id", "hours": 0 to 24}, each volunteer once.')
    if not isinstance(raw, list):
        raise bad_request("volunteers", message)
    result: dict[int, Any] = {}
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"volunteer_id", "hours"}:
            raise bad_request("volunteers", message)
        volunteer_id, hours = item["volunteer_id"], item["hours"]
        if not isinstance(volunteer_id, int) or isinstance(volunteer_id, bool):
            raise bad_request("volunteers", message)
        if not isinstance(hours, int | float) or isinstance(hours, bool) or volunteer_id in result:
            raise bad_request("volunteers", message)
        result[volunteer_id] = hours
    return result


@bp.route("/programmes/<int:programme_id>/sessions", methods=["POST"])
@require_login
def sessions_api(programme_id: int):
    programme, project = _load(programme_id)
    body = json_body()
    check_fields(body, SESSION_FIELDS)

    def make() -> Callable[[], Any]:
        starts_at = _moment(body, "starts_at", required=True)
        guardians = body.get("guardians") or 0
        if (
            not isinstance(guardians, int)
            or isinstance(guardians, bool)
            or not 0 <= guardians <= 10_000
        ):
            raise bad_request("guardians", _("guardians: a whole number from 0."))
        data = {
            "starts_at": starts_at,
            "ends_at": _moment(body, "ends_at"),
            "place": _text(body, "place", 200),
            "facilitators": _text(body, "facilitators", 200),
            "topic": _text(body, "topic", 200),
            "notes": _text(body, "notes", 20_000),
            "materials": _text(body, "materials", 300),
            "guardians": guardians,
            "sheet_number": _sheet(body),
        }
        attendance = _attendance(body)
        helpers = _helpers(body)
        day = to_local(starts_at, project).date()
        return lambda: programmes.record_session(
            programme, data, attendance, current_user, day, volunteers=helpers
        )

    found, created = created_once(project, "session", body, make)
    session = programmes.get_session(project, found) or abort(404)
    result = {
        "id": session.id,
        "programme_id": session.programme_id,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat() if session.ends_at else None,
        "topic": session.topic,
        "attendance": [
            {"child_id": a.child_id, "status": a.status.value} for a in session.attendance
        ],
        "volunteers": [
            {"volunteer_id": v.volunteer_id, "hours": float(v.hours)} for v in session.volunteers
        ],
        "url": url_for("care.session", slug=project.slug, session_id=session.id, _external=True),
    }
    return answer(result, 201 if created else 200)


def volunteer_json(volunteer: Volunteer) -> dict[str, Any]:
    return {
        "id": volunteer.id,
        "display_name": volunteer.display_name,
        "kind": volunteer.kind.value,
        "village_id": volunteer.village_id,
        "active_from": volunteer.active_from.isoformat() if volunteer.active_from else None,
        "active_to": volunteer.active_to.isoformat() if volunteer.active_to else None,
    }


@bp.route("/projects/<slug>/volunteers", methods=["GET", "POST"])
@require(Cap.SEE_CHILDREN, write=Cap.RECORD_CARE)
def volunteers_api(project: Project):
    if request.method == "GET":
        rows = db.session.scalars(volunteers.volunteers_query(project))
        return answer({"volunteers": [volunteer_json(v) for v in rows]})
    body = json_body()
    check_fields(body, ("display_name", "kind", "village_id", "active_from", "active_to"))

    def make() -> Callable[[], Any]:
        if body.get("kind", "other") not in {k.value for k in VolunteerKind}:
            raise bad_request("kind", _("kind: volunteer_mother, student_tutor, teacher or other."))
        data = {
            "display_name": _text(body, "display_name", 120),
            "kind": body.get("kind", "other"),
            "village_id": _id_or_none(body, "village_id"),
            "active_from": _day(body, "active_from"),
            "active_to": _day(body, "active_to"),
        }
        return lambda: volunteers.create_volunteer(project, data, current_user)

    found, created = created_once(project, "volunteer", body, make)
    volunteer = volunteers.get_volunteer(project, found) or abort(404)
    return answer(volunteer_json(volunteer), 201 if created else 200)


@bp.route("/volunteers/<int:volunteer_id>/diary", methods=["POST"])
@require_login
def diary_api(volunteer_id: int):
    volunteer = db.session.get(Volunteer, volunteer_id) or abort(404)
    project = member_project(volunteer.project_id)
    if not membership_can(g.membership, Cap.RECORD_CARE):
        abort(403)
    body = json_body()
    check_fields(body, ("on", "services", "hours", "reflection", "session_id"))

    def make() -> Callable[[], Any]:
        hours = body.get("hours")
        if not isinstance(hours, int | float) or isinstance(hours, bool):
            raise bad_request("hours", _("Hours: a number from 0 to 24, e.g. 1.5."))
        data = {
            "on": _day(body, "on", required=True),
            "services": body.get("services"),
            "hours": hours,
            "reflection": _text(body, "reflection", 20_000),
            "session_id": _id_or_none(body, "session_id"),
        }
        return lambda: volunteers.add_diary(volunteer, data, current_user)

    found, created = created_once(project, "diary_entry", body, make)
    entry = db.session.get(DiaryEntry, found) or abort(404)
    result = {
        "id": entry.id,
        "volunteer_id": entry.volunteer_id,
        "on": entry.on.isoformat(),
        "services": entry.services,
        "hours": float(entry.hours),
        "session_id": entry.session_id,
        "memo_id": entry.memo_id,
    }
    return answer(result, 201 if created else 200)


@bp.route("/projects/<slug>/services/summary")
@require(Cap.VIEW_PROJECT)
def services_summary(project: Project):
    """The services dashboard's figures; counts of children suppressed as on the page."""
    start, end, problem = figures.period(
        project_today(project), request.args.get("from"), request.args.get("to")
    )
    if problem:
        raise bad_request(
            problem,
            _("from, to: dates YYYY-MM-DD, from before to, at most five years apart."),
        )
    return answer(figures.summary(project, start, end, privacy.audience_of(g.membership)))
