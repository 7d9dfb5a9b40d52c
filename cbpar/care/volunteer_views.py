"""Volunteer pages: list with hours and who has gone quiet, add, a volunteer's page with
training and diary, a diary entry (with its reflection), a printable certificate of hours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require
from cbpar.care import bp, programmes, services, volunteers
from cbpar.care.forms import DiaryForm, TrainingForm, VolunteerForm
from cbpar.care.models import Volunteer
from cbpar.db import db
from cbpar.meetings.services import project_today, to_local
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import form_page, no_store, parse_int


def _volunteer(project: Project, volunteer_id: int) -> Volunteer:
    return volunteers.get_volunteer(project, volunteer_id) or abort(404)


def _period(today: date) -> tuple[date, date]:
    """`?from=&to=` (ISO dates), by default the current month."""
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = today.replace(day=1)
    try:
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


@bp.route("/projects/<slug>/volunteers")
@require(Cap.SEE_CHILDREN)
def volunteers_index(project: Project):
    today = project_today(project)
    start, end = _period(today)
    everyone = list(db.session.scalars(volunteers.volunteers_query(project)))
    in_period = volunteers.hours_by_volunteer(project, start, end)
    ever = volunteers.hours_by_volunteer(project)
    quiet = {v.id for v in everyone if volunteers.inactive(v, ever.get(v.id), today)}
    context = {
        "project": project,
        "volunteers": everyone,
        "hours": in_period,
        "quiet": quiet,
        "start": start,
        "end": end,
    }
    return no_store(render_template("care/volunteers.html", **context))


@bp.route("/projects/<slug>/volunteers/new", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def volunteer_new(project: Project):
    form = VolunteerForm()
    form.set_villages([(v.id, v.name) for v in services.villages(project)])
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in form._fields}
        try:
            volunteer = volunteers.create_volunteer(project, data, current_user)
        except programmes.CareError as exc:
            getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, exc.message]
        else:
            flash(_("Volunteer saved."), "success")
            return redirect(
                url_for("care.volunteer", slug=project.slug, volunteer_id=volunteer.id), code=303
            )
    return form_page("care/volunteer_form.html", project=project, form=form)


@bp.route("/projects/<slug>/volunteers/<int:volunteer_id>", methods=["GET", "POST"])
@require(Cap.SEE_CHILDREN, write=Cap.RECORD_CARE)
def volunteer(project: Project, volunteer_id: int):
    """The volunteer, their hours by month, training and diary; the POST adds a training."""
    record = _volunteer(project, volunteer_id)
    training = TrainingForm()
    if training.validate_on_submit():
        try:
            volunteers.add_training(
                record, training.course.data, training.on.data, training.hours.data
            )
        except programmes.CareError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Training saved."), "success")
            return redirect(
                url_for("care.volunteer", slug=project.slug, volunteer_id=record.id), code=303
            )
    today = project_today(project)
    hours = volunteers.hours_by_volunteer(project).get(record.id)
    context = {
        "project": project,
        "volunteer": record,
        "hours": hours,
        "quiet": volunteers.inactive(record, hours, today),
        "diary": volunteers.diary_of(record),
        "training": training,
    }
    status = 422 if request.method == "POST" else 200
    return no_store(render_template("care/volunteer.html", **context), status)


@bp.route("/projects/<slug>/volunteers/<int:volunteer_id>/diary", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def diary_new(project: Project, volunteer_id: int):
    record = _volunteer(project, volunteer_id)
    form = DiaryForm()
    session = None
    session_id = parse_int(request.values.get("session") or form.session_id.data)
    if session_id is not None:
        session = programmes.get_session(project, session_id) or abort(404)
    if request.method == "GET":
        form.on.data = project_today(project)
        form.services.data = 1
        if session is not None:
            form.session_id.data = str(session.id)
            form.on.data = to_local(session.starts_at, project).date()
            helped = next((v for v in session.volunteers if v.volunteer_id == record.id), None)
            form.hours.data = helped.hours if helped else None
    if form.validate_on_submit():
        data = {
            "on": form.on.data,
            "services": form.services.data,
            "hours": form.hours.data,
            "reflection": form.reflection.data,
            "session_id": session.id if session else None,
        }
        try:
            volunteers.add_diary(record, data, current_user)
        except programmes.CareError as exc:
            field = getattr(form, exc.field, form.hours)
            field.errors = [*field.errors, exc.message]
        else:
            flash(_("Diary entry saved."), "success")
            return redirect(
                url_for("care.volunteer", slug=project.slug, volunteer_id=record.id), code=303
            )
    context = {"project": project, "volunteer": record, "form": form, "session": session}
    return form_page("care/diary_form.html", **context)


@bp.route("/projects/<slug>/volunteers/<int:volunteer_id>/certificate")
@require(Cap.SEE_CHILDREN)
def certificate(project: Project, volunteer_id: int):
    """A certificate of hours in both languages, for the period asked (default: all time)."""
    record = _volunteer(project, volunteer_id)
    today = project_today(project)
    start = end = None
    if request.args.get("from") or request.args.get("to"):
        start, end = _period(today)
    hours = volunteers.hours_by_volunteer(project, start, end).get(record.id)
    texts = {}
    for locale in ("en", "zh_Hans"):
        with force_locale(locale):
            texts[locale] = {
                "title": _("Certificate of volunteer service"),
                "body": _(
                    "%(name)s gave %(hours)s hours of volunteer service (%(services)d services)"
                    " to the children of %(project)s.",
                    name=record.display_name,
                    hours=format((hours.hours if hours else Decimal(0)).normalize(), "f"),
                    services=hours.services if hours else 0,
                    project=project.name,
                ),
                "period": _("Period: %(start)s to %(end)s", start=start, end=end)
                if start
                else _("All service up to %(day)s", day=today.isoformat()),
                "thanks": _("With our thanks."),
            }
    context = {"project": project, "volunteer": record, "texts": texts, "today": today}
    return no_store(render_template("care/certificate.html", **context))
