"""Children and contact-log pages: list, record with consent, read, edit, withdraw, contacts,
and the follow-ups due. Field roles only (see_children / record_care)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar import audit, csvout
from cbpar.access import require
from cbpar.care import bp, programmes, services
from cbpar.care.forms import ChildForm, ContactForm
from cbpar.care.models import Child
from cbpar.db import writes
from cbpar.editing import EditConflict, conflict_page, posted_version
from cbpar.forms import EmptyForm, check_button
from cbpar.meetings.services import project_today
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import form_page, int_arg, no_store, page_number, paginate


def _child(project: Project, child_id: int) -> Child:
    child = services.get_child(project, child_id)
    if child is None or not services.can_see(g.membership, child):
        abort(404)
    return child


def _add_errors(form: Any, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        field = getattr(form, name)
        field.errors = [*field.errors, message]


def _valid_child(form: ChildForm, project: Project, new: bool):
    ok = form.validate_on_submit()
    if not form.is_submitted():
        return False, None
    data = form.data_dict()
    problems = services.child_problems(data, project_today(project)) if ok else {}
    household = None
    if new:
        household = services.household_for(project, data["household_code"])
        if data["household_code"] and household is None:
            problems["household_code"] = _("No household has this code.")
    _add_errors(form, problems)
    return ok and not problems, household


@bp.route("/projects/<slug>/children")
@require(Cap.SEE_CHILDREN)
def index(project: Project):
    village_id = int_arg("village")
    query = services.children_query(project, village_id=village_id)
    page = paginate(query, page_number(request.args.get("page")), 50)
    context = {
        "project": project,
        "page": page,
        "villages": services.villages(project),
        "village_id": village_id,
        "today": project_today(project),
    }
    return no_store(render_template("care/children.html", **context))


@bp.route("/projects/<slug>/children.csv")
@writes
@require(Cap.SEE_CHILDREN)
def children_csv(project: Project):
    """Every child as the field team sees it, without the session name (never exported)."""
    rows = [
        [
            c.code,
            c.household.code,
            c.household.village.name,
            c.birth_year,
            c.birth_month or "",
            c.sex.value,
            c.school,
            c.grade,
            c.parents_away.value,
            c.away_since.isoformat() if c.away_since else "",
            c.home_visits.value,
            c.caregiver.value,
            c.consent_on.isoformat() if c.consent_on else "",
            c.assent_on.isoformat() if c.assent_on else "",
            "withdrawn" if c.withdrawn else "",
        ]
        for c in services.all_children(project)
    ]
    header = [
        "code",
        "household",
        "village",
        "birth_year",
        "birth_month",
        "sex",
        "school",
        "grade",
        "parents_away",
        "away_since",
        "home_visits",
        "caregiver",
        "consent_on",
        "assent_on",
        "consent",
    ]
    audit.record_export(project, "children", "csv", len(rows))
    return csvout.response(csvout.to_csv(header, rows), f"{project.slug}-children.csv")


@bp.route("/projects/<slug>/children/new", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def new(project: Project):
    form = ChildForm()
    if request.method == "GET":
        household = services.household_for(project, request.args.get("household", ""))
        if household is not None:
            form.household_code.data = household.code
            form.parents_away.data = household.migrant_parents.value
            form.caregiver.data = household.caregiver.value
    ok, household = _valid_child(form, project, new=True)
    if ok and household is not None:
        child = services.create_child(project, household, form.data_dict(), current_user)
        flash(_("Child %(code)s saved.", code=child.code), "success")
        return redirect(url_for("care.child", slug=project.slug, child_id=child.id), code=303)
    return form_page("care/child_form.html", project=project, form=form, child=None)


@bp.route("/projects/<slug>/children/<int:child_id>")
@require(Cap.SEE_CHILDREN)
def child(project: Project, child_id: int):
    record = _child(project, child_id)
    context = {
        "project": project,
        "child": record,
        "contacts": services.contacts_of(record),
        "today": project_today(project),
        "button_form": EmptyForm(),
        "may_record": services.can_record(g.membership, record),
    }
    return no_store(render_template("care/child.html", **context))


@bp.route("/projects/<slug>/children/<int:child_id>/edit", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def edit(project: Project, child_id: int):
    record = _child(project, child_id)
    if record.withdrawn:
        abort(409)
    form = ChildForm(obj=record)
    form.household_code.data = record.household.code
    ok, _household = _valid_child(form, project, new=False)
    context = {"project": project, "form": form, "child": record}
    if ok:
        try:
            services.update_child(record, form.data_dict(), posted_version(), current_user)
        except EditConflict:
            return _conflict(project, child_id, form, context)
        flash(_("Child %(code)s saved.", code=record.code), "success")
        return redirect(url_for("care.child", slug=project.slug, child_id=record.id), code=303)
    return form_page("care/child_form.html", **context)


def _conflict(project: Project, child_id: int, form: ChildForm, context: dict):
    def editable() -> Child | None:
        current = services.get_child(project, child_id)
        return None if current is None or current.withdrawn else current

    context.pop("form")
    return conflict_page(
        "care/child_form.html",
        form,
        editable,
        ChildForm.FIELDS,
        record="child",
        gone=_("This child's record changed and can no longer be edited here; nothing was saved."),
        **context,
    )


@bp.route("/projects/<slug>/children/<int:child_id>/withdraw", methods=["GET", "POST"])
@require(Cap.SEE_CHILDREN, write=Cap.RECORD_CARE)
def withdraw(project: Project, child_id: int):
    """Ask first (what will be wiped), then record the withdrawal."""
    record = _child(project, child_id)
    if request.method == "GET":
        if record.withdrawn:
            return redirect(url_for("care.child", slug=project.slug, child_id=record.id))
        context = {"project": project, "child": record, "button_form": EmptyForm()}
        context["contacts"] = len(services.contacts_of(record))
        return no_store(render_template("care/withdraw.html", **context))
    check_button()
    if not record.withdrawn:
        services.withdraw(record, current_user)
    flash(_("Consent withdrawn: the child's name and the contacts' words were wiped."), "success")
    return redirect(url_for("care.child", slug=project.slug, child_id=record.id), code=303)


@bp.route("/projects/<slug>/children/<int:child_id>/contacts/new", methods=["GET", "POST"])
@require(Cap.RECORD_CARE)
def new_contact(project: Project, child_id: int):
    record = _child(project, child_id)
    if record.withdrawn:
        abort(409)
    form = ContactForm()
    if request.method == "GET":
        form.on.data = project_today(project)
    ok = form.validate_on_submit()
    if ok:
        problems = services.contact_problems(form.data_dict(), project_today(project))
        _add_errors(form, problems)
        ok = not problems
    if ok:
        contact = services.add_contact(record, form.data_dict(), current_user)
        flash(_("Contact saved."), "success")
        if request.form.get("then") == "files":  # "Save and add a recording or photo"
            return redirect(
                url_for("care.contact", slug=project.slug, contact_id=contact.id) + "#attachments",
                code=303,
            )
        return redirect(url_for("care.child", slug=project.slug, child_id=record.id), code=303)
    return form_page("care/contact_form.html", project=project, form=form, child=record)


@bp.route("/projects/<slug>/contacts/<int:contact_id>")
@require(Cap.SEE_CHILDREN)
def contact(project: Project, contact_id: int):
    """One contact with its recordings and photos (attached here, after the contact is saved)."""
    record = services.get_contact(project, contact_id)
    if record is None or not services.can_see_files(g.membership, record):
        abort(404)
    context = {
        "project": project,
        "contact": record,
        "child": record.child,
        "may_attach": services.can_attach_files(g.membership, record),
    }
    return no_store(render_template("care/contact.html", **context))


@bp.route("/projects/<slug>/contacts/<int:contact_id>/done", methods=["POST"])
@require(Cap.RECORD_CARE)
def follow_up_done(project: Project, contact_id: int):
    contact = services.get_contact(project, contact_id) or abort(404)
    check_button()
    services.complete_follow_up(contact, project_today(project), current_user)
    flash(_("Follow-up marked as done."), "success")
    target = request.form.get("next") or ""
    if target == "follow-ups":
        return redirect(url_for("care.follow_ups", slug=project.slug), code=303)
    return redirect(url_for("care.child", slug=project.slug, child_id=contact.child_id), code=303)


@bp.route("/projects/<slug>/follow-ups")
@require(Cap.SEE_CHILDREN)
def follow_ups(project: Project):
    today = project_today(project)
    query = services.follow_ups_query(project, today)
    page = paginate(query, page_number(request.args.get("page")), 50)
    context = {"project": project, "page": page, "today": today, "button_form": EmptyForm()}
    context["gaps"] = programmes.target_gaps(project, today)
    return no_store(render_template("care/follow_ups.html", **context))
