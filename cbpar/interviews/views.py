"""Interview pages: list, record with consent, read, edit, withdraw consent, erase."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require
from cbpar.db import db
from cbpar.editing import EditConflict, conflict_page, flush_or_conflict, posted_version
from cbpar.forms import EmptyForm, check_button
from cbpar.interviews import bp, services
from cbpar.interviews.forms import InterviewForm
from cbpar.interviews.models import Interview
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import form_page, no_store, page_number, paginate


def _interview(project: Project, interview_id: int) -> Interview:
    return services.get_interview(project, interview_id, g.membership) or abort(404)


def _valid(form: InterviewForm, project: Project):
    """Run the form's and the consent rules' checks; the household if one is named."""
    ok = form.validate_on_submit()
    if not form.is_submitted():
        return False, None
    data = form.data_dict()
    for name, message in services.consent_problems(data).items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]
        ok = False
    household = services.household_by_code(project, data["household_code"])
    if data["household_code"] and household is None:
        form.household_code.errors = [*form.household_code.errors, _("No household has this code.")]
        ok = False
    return ok, household


@bp.route("/projects/<slug>/interviews")
@require(Cap.EDIT_FIELD_RECORDS)
def index(project: Project):
    page = paginate(
        services.list_query(project, g.membership), page_number(request.args.get("page")), 50
    )
    return no_store(render_template("interviews/index.html", project=project, page=page))


@bp.route("/projects/<slug>/interviews/new", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def new(project: Project):
    form = InterviewForm()
    if request.method == "GET" and request.args.get("household"):
        form.kind.data = "family"
        form.household_code.data = request.args["household"]
    ok, household = _valid(form, project)
    if ok:
        interview = services.create_interview(project, form.data_dict(), household, current_user)
        flash(_("Interview saved."), "success")
        return redirect(
            url_for("interviews.view", slug=project.slug, interview_id=interview.id), code=303
        )
    context = {"project": project, "form": form, "interview": None}
    return form_page("interviews/edit.html", **context)


@bp.route("/projects/<slug>/interviews/<int:interview_id>")
@require(Cap.EDIT_FIELD_RECORDS)
def view(project: Project, interview_id: int):
    interview = _interview(project, interview_id)
    return no_store(
        render_template(
            "interviews/view.html",
            project=project,
            interview=interview,
            button_form=EmptyForm(),
        )
    )


@bp.route("/projects/<slug>/interviews/<int:interview_id>/edit", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def edit(project: Project, interview_id: int):
    interview = _interview(project, interview_id)
    if interview.withdrawn:
        abort(409)
    form = InterviewForm(obj=interview)
    if request.method == "GET" and interview.household is not None:
        form.household_code.data = interview.household.code
    ok, household = _valid(form, project)
    context = {"project": project, "form": form, "interview": interview}
    if ok:
        try:
            services.update_interview(interview, form.data_dict(), household, posted_version())
        except EditConflict:
            return _interview_conflict(project, interview_id, form, context)
        flash(_("Interview saved."), "success")
        return redirect(
            url_for("interviews.view", slug=project.slug, interview_id=interview.id), code=303
        )
    return form_page("interviews/edit.html", **context)


def _interview_conflict(project: Project, interview_id: int, form: InterviewForm, context: dict):
    """Someone else saved first: nothing was saved; show their values next to the typed ones."""

    def editable() -> Interview | None:
        # Withdrawn consent hides the stored content from everyone, so it is not compared here.
        current = services.get_interview(project, interview_id, g.membership)
        return None if current is None or current.withdrawn else current

    def household_row(current: Interview) -> list[dict]:
        stored_code = current.household.code if current.household is not None else ""
        typed_code = (form.household_code.data or "").strip()
        if typed_code.upper() == stored_code.upper():
            return []
        label = form.household_code.label.text
        return [{"label": label, "yours": typed_code, "stored": stored_code}]

    context.pop("form")
    return conflict_page(
        "interviews/edit.html",
        form,
        editable,
        InterviewForm.FIELDS,
        record="interview",
        gone=_("This interview changed and can no longer be edited here; nothing was saved."),
        more_rows=household_row,
        **context,
    )


@bp.route("/projects/<slug>/interviews/<int:interview_id>/withdraw", methods=["POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def withdraw(project: Project, interview_id: int):
    interview = _interview(project, interview_id)
    check_button()
    if not interview.withdrawn:
        services.withdraw(interview, current_user)
        try:
            flush_or_conflict()
        except EditConflict:
            # An edit was saved meanwhile; withdrawal overwrites nothing anyone wrote, so redo it.
            db.session.rollback()
            interview = _interview(project, interview_id)
            if not interview.withdrawn:
                services.withdraw(interview, current_user)
    flash(_("Consent withdrawn: the interview's content is now hidden from everyone."), "success")
    return redirect(
        url_for("interviews.view", slug=project.slug, interview_id=interview.id), code=303
    )


@bp.route("/projects/<slug>/interviews/<int:interview_id>/erase", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def erase(project: Project, interview_id: int):
    interview = _interview(project, interview_id)
    check_button()
    if not interview.withdrawn:
        abort(409)
    services.erase(interview, current_user)
    flash(_("The interview's content and files were erased."), "success")
    return redirect(url_for("interviews.index", slug=project.slug), code=303)
