"""Pages for the field team: setting up ODK Collect (server URL, the forms to download) and
the review queue of submissions that wait (fix and accept, or reject with a reason)."""

from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require
from cbpar.openrosa import bp, services
from cbpar.openrosa.definitions import FORMS
from cbpar.openrosa.models import Submission, SubmissionStatus
from cbpar.openrosa.review_forms import RejectForm
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import form_page, no_store, page_number, paginate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reviewable(project: Project, submission_id: int) -> Submission:
    """A submission of this project that this member may see: its form is one they send."""
    submission = services.get(project, submission_id)
    if submission is None or not services.may_submit(g.membership, submission.form_id):
        abort(404)
    return submission


@bp.route("/projects/<slug>/openrosa/")
@require(Cap.EDIT_FIELD_RECORDS)
def index(project: Project):
    forms = [
        {"form_id": form_id, "title": services.title(form_id)}
        for form_id in services.forms_for(g.membership)
    ]
    server_url = url_for("openrosa.index", slug=project.slug, _external=True).rstrip("/")
    context = {
        "project": project,
        "forms": forms,
        "server_url": server_url,
        "counts": services.counts(project),
    }
    return no_store(render_template("openrosa/index.html", **context))


@bp.route("/projects/<slug>/openrosa/forms/<form_id>.xlsx")
@require(Cap.EDIT_FIELD_RECORDS)
def form_xlsx(project: Project, form_id: str):
    if form_id not in FORMS or not services.may_submit(g.membership, form_id):
        abort(404)
    response = Response(services.project_xlsx(project, form_id), mimetype=XLSX)
    filename = f"{project.slug}-{FORMS[form_id].filename}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/projects/<slug>/openrosa/review")
@require(Cap.EDIT_FIELD_RECORDS)
def queue(project: Project):
    status_arg = request.args.get("status", SubmissionStatus.PENDING.value)
    status = (
        SubmissionStatus(status_arg) if status_arg in SubmissionStatus._value2member_map_ else None
    )
    query = services.queue_query(project, status)
    allowed = services.forms_for(g.membership)
    query = query.where(Submission.form_id.in_(allowed))
    page = paginate(query, page_number(request.args.get("page")), 50)
    context = {
        "project": project,
        "page": page,
        "status": status,
        "statuses": list(SubmissionStatus),
        "counts": services.counts(project),
    }
    return no_store(render_template("openrosa/queue.html", **context))


@bp.route("/projects/<slug>/openrosa/review/<int:submission_id>", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS, write=Cap.EDIT_FIELD_RECORDS)
def review(project: Project, submission_id: int):
    submission = _reviewable(project, submission_id)
    context = {"project": project, "submission": submission, "reject_form": RejectForm()}
    if submission.status != SubmissionStatus.PENDING:
        if request.method == "POST":
            abort(409)
        context["record_url"] = _record_url(project, submission)
        return no_store(render_template("openrosa/submission.html", **context))
    form = services.review_form(
        project, submission, request.form if request.method == "POST" else None
    )
    context["form"] = form
    context["media_problems"] = services.media_problems(submission)
    if request.method == "POST":
        record = services.accept(project, submission, form, current_user)
        if record is not None:
            flash(_("Accepted: the record is saved."), "success")
            return redirect(
                url_for("openrosa.review", slug=project.slug, submission_id=submission.id), code=303
            )
    return form_page("openrosa/submission.html", **context)


@bp.route("/projects/<slug>/openrosa/review/<int:submission_id>/reject", methods=["POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def reject(project: Project, submission_id: int):
    submission = _reviewable(project, submission_id)
    if submission.status != SubmissionStatus.PENDING:
        abort(409)
    reject_form = RejectForm()
    if not reject_form.validate_on_submit():
        form = services.review_form(project, submission)
        return form_page(
            "openrosa/submission.html",
            project=project,
            submission=submission,
            form=form,
            reject_form=reject_form,
            media_problems=services.media_problems(submission),
        )
    services.reject(project, submission, reject_form.reason.data, current_user)
    flash(_("Rejected. The submission and your reason are kept."), "info")
    return redirect(url_for("openrosa.queue", slug=project.slug), code=303)


@bp.route("/projects/<slug>/openrosa/review/<int:submission_id>/files/<int:media_id>")
@require(Cap.EDIT_FIELD_RECORDS)
def media(project: Project, submission_id: int, media_id: int):
    submission = _reviewable(project, submission_id)
    item = services.get_media(submission, media_id) or abort(404)
    # Offered as a download, never shown inline: its type may be one the server refuses.
    response = send_file(
        io.BytesIO(item.data),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=item.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _record_url(project: Project, submission: Submission) -> str | None:
    if submission.record_id is None:
        return None
    if submission.record_type == "household":
        return url_for("mapping.household", slug=project.slug, household_id=submission.record_id)
    if submission.record_type == "facility":
        return url_for("mapping.facility", slug=project.slug, facility_id=submission.record_id)
    return services.contact_url(project, submission.record_id)
