"""Programme pages: list, create and edit (with contact targets), enrol children, record a
session with attendance (one tap per child on a phone), a session's page and printable sheet."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from cbpar.access import require
from cbpar.care import bp, programmes, volunteers
from cbpar.care.forms import EnrolForm, ProgrammeForm, SessionForm
from cbpar.care.models import AttendanceStatus, Child, ContactKind, Programme
from cbpar.db import db
from cbpar.editing import EditConflict, posted_version
from cbpar.forms import EmptyForm, check_button
from cbpar.meetings.services import project_today, to_local, to_utc
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import form_page, no_store, page_number, paginate


def _programme(project: Project, programme_id: int) -> Programme:
    return programmes.get_programme(project, programme_id) or abort(404)


def _refused(form: Any, exc: programmes.CareError) -> None:
    field = getattr(form, exc.field, None)
    if field is None:
        flash(exc.message, "error")
        return
    field.errors = [*field.errors, exc.message]


@bp.route("/projects/<slug>/programmes")
@require(Cap.SEE_CHILDREN)
def programmes_index(project: Project):
    rows = list(db.session.scalars(programmes.programmes_query(project)))
    counts = programmes.enrolled_counts(project)
    today = project_today(project)
    gaps = programmes.target_gaps(project, today)
    context = {"project": project, "programmes": rows, "enrolled": counts, "gaps": gaps}
    context["today"] = today
    return no_store(render_template("care/programmes.html", **context))


@bp.route("/projects/<slug>/programmes/new", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def programme_new(project: Project):
    form = ProgrammeForm()
    form.set_choices(programmes.choices(project))
    if form.validate_on_submit():
        try:
            programme = programmes.create_programme(
                project, form.data_dict(), form.targets(), current_user
            )
        except programmes.CareError as exc:
            _refused(form, exc)
        else:
            flash(_("Programme saved."), "success")
            return redirect(
                url_for("care.programme", slug=project.slug, programme_id=programme.id), code=303
            )
    return form_page("care/programme_form.html", project=project, form=form, programme=None)


@bp.route("/projects/<slug>/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def programme_edit(project: Project, programme_id: int):
    programme = _programme(project, programme_id)
    form = ProgrammeForm(obj=programme)
    form.set_choices(programmes.choices(project))
    if request.method == "GET":
        for target in programme.targets:
            getattr(form, ProgrammeForm.TARGETS[target.kind.value]).data = target.every_days
    if form.validate_on_submit():
        try:
            programmes.update_programme(
                programme, form.data_dict(), form.targets(), posted_version()
            )
        except programmes.CareError as exc:
            _refused(form, exc)
        except EditConflict:
            flash(_("Someone else saved this programme first; nothing was saved."), "error")
            return redirect(
                url_for("care.programme_edit", slug=project.slug, programme_id=programme_id)
            )
        else:
            flash(_("Programme saved."), "success")
            return redirect(
                url_for("care.programme", slug=project.slug, programme_id=programme.id), code=303
            )
    context = {"project": project, "form": form, "programme": programme}
    return form_page("care/programme_form.html", **context)


@bp.route("/projects/<slug>/programmes/<int:programme_id>", methods=["GET", "POST"])
@require(Cap.SEE_CHILDREN, write=Cap.RECORD_CARE)
def programme(project: Project, programme_id: int):
    """The programme, its targets and who misses them, the enrolled children, its sessions;
    the POST enrols a child (by code)."""
    record = _programme(project, programme_id)
    today = project_today(project)
    enrol_form = EnrolForm()
    if request.method == "GET":
        enrol_form.starts_on.data = today
    elif enrol_form.validate_on_submit():
        code = enrol_form.child_code.data.strip().upper()
        child = db.session.scalar(
            select(Child).where(Child.project_id == project.id, func.upper(Child.code) == code)
        )
        try:
            if child is None:
                raise programmes.CareError(
                    "child_code", _("No child of this project has this code.")
                )
            programmes.enrol(record, child, enrol_form.starts_on.data, current_user)
        except programmes.CareError as exc:
            exc.field = "child_code" if exc.field == "child" else exc.field
            _refused(enrol_form, exc)
        else:
            flash(_("%(code)s enrolled.", code=child.code), "success")
            return redirect(
                url_for("care.programme", slug=project.slug, programme_id=record.id), code=303
            )
    sessions = paginate(
        programmes.sessions_query(record), page_number(request.args.get("page")), 20
    )
    context = {
        "project": project,
        "programme": record,
        "enrolments": programmes.enrolments_on(record, today),
        "gaps": programmes.target_gaps(project, today, record),
        "met": programmes.targets_met(project, today, record),
        "sessions": sessions,
        "enrol_form": enrol_form,
        "button_form": EmptyForm(),
        "today": today,
    }
    status = 422 if request.method == "POST" else 200
    return no_store(render_template("care/programme.html", **context), status)


@bp.route("/projects/<slug>/enrolments/<int:enrolment_id>/end", methods=["POST"])
@require(Cap.RECORD_CARE)
def enrolment_end(project: Project, enrolment_id: int):
    enrolment = programmes.get_enrolment(project, enrolment_id) or abort(404)
    check_button()
    try:
        programmes.end_enrolment(enrolment, project_today(project), current_user)
    except programmes.CareError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Enrolment ended today."), "success")
    return redirect(
        url_for("care.programme", slug=project.slug, programme_id=enrolment.programme_id),
        code=303,
    )


def _attendance_from(form_data: Any, child_ids: list[int]) -> dict[int, AttendanceStatus]:
    """`attendance-<child id>` = present/absent/excused; a child left unmarked is absent."""
    result = {}
    for child_id in child_ids:
        raw = form_data.get(f"attendance-{child_id}", AttendanceStatus.ABSENT.value)
        try:
            result[child_id] = AttendanceStatus(raw)
        except ValueError:
            abort(400)
    return result


@bp.route("/projects/<slug>/programmes/<int:programme_id>/sessions/new", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def session_new(project: Project, programme_id: int):
    record = _programme(project, programme_id)
    form = SessionForm()
    if request.method == "GET":
        form.on.data = project_today(project)
        form.starts.data = time(16, 30)
    day = form.on.data or project_today(project)
    enrolments = programmes.enrolments_on(record, day)
    if form.validate_on_submit():
        ids = [e.child_id for e in enrolments if not e.child.withdrawn]
        attendance = _attendance_from(request.form, ids)
        data = {
            "starts_at": to_utc(datetime.combine(form.on.data, form.starts.data), project),
            "ends_at": to_utc(datetime.combine(form.on.data, form.ends.data), project)
            if form.ends.data
            else None,
            "place": form.place.data,
            "facilitators": form.facilitators.data,
            "topic": form.topic.data,
            "materials": form.materials.data,
            "guardians": form.guardians.data,
            "notes": form.notes.data,
            "sheet_number": form.sheet_number.data,
        }
        helpers = {}
        for volunteer in volunteers.active_on(project, day):
            raw = (request.form.get(f"volunteer-{volunteer.id}-hours") or "").strip()
            if raw:
                helpers[volunteer.id] = raw
        try:
            session = programmes.record_session(
                record, data, attendance, current_user, day, volunteers=helpers
            )
        except programmes.CareError as exc:
            _refused(form, exc)
        else:
            flash(_("Session saved."), "success")
            return redirect(
                url_for("care.session", slug=project.slug, session_id=session.id), code=303
            )
    context = {"project": project, "programme": record, "form": form, "enrolments": enrolments}
    context["volunteers"] = volunteers.active_on(project, day)
    return form_page("care/session_form.html", **context)


@bp.route("/projects/<slug>/sessions/<int:session_id>")
@require(Cap.SEE_CHILDREN)
def session(project: Project, session_id: int):
    record = programmes.get_session(project, session_id) or abort(404)
    present = sum(1 for a in record.attendance if a.status == AttendanceStatus.PRESENT)
    context = {"project": project, "session": record, "present": present}
    context["reflected"] = volunteers.reflected_on(record)
    return no_store(render_template("care/session.html", **context))


@bp.route("/projects/<slug>/programmes/<int:programme_id>/sheet")
@require(Cap.SEE_CHILDREN)
def blank_sheet(project: Project, programme_id: int):
    """A blank attendance sheet to print before a session, numbered; entered later once."""
    record = _programme(project, programme_id)
    day = project_today(project)
    context = {
        "project": project,
        "programme": record,
        "enrolments": programmes.enrolments_on(record, day),
        "number": programmes.next_sheet_number(project),
        "day": day,
    }
    return no_store(render_template("care/blank_sheet.html", **context))


@bp.route("/projects/<slug>/programmes/<int:programme_id>/contact-sheet")
@require(Cap.SEE_CHILDREN)
def contact_sheet(project: Project, programme_id: int):
    """A contact-log sheet to print for the programme's children: calls and visits written on
    paper in the village, entered later on each child's page."""
    record = _programme(project, programme_id)
    day = project_today(project)
    context = {
        "project": project,
        "programme": record,
        "enrolments": programmes.enrolments_on(record, day),
        "day": day,
        "kinds": list(ContactKind),
    }
    return no_store(render_template("care/contact_sheet.html", **context))


@bp.route("/projects/<slug>/sessions/<int:session_id>/sheet")
@require(Cap.SEE_CHILDREN)
def session_sheet(project: Project, session_id: int):
    """The attendance sheet to print: the only place names used in sessions are printed."""
    record = programmes.get_session(project, session_id) or abort(404)
    day = to_local(record.starts_at, project).date()
    enrolments = programmes.enrolments_on(record.programme, day)
    context = {"project": project, "session": record, "enrolments": enrolments}
    return no_store(render_template("care/session_sheet.html", **context))
