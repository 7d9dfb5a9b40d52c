"""The OpenRosa endpoints ODK Collect, KoBoCollect and Enketo call: the form list, a form's
XForm, and the submission (HEAD, then a multipart POST). HTTP Basic with an API token
(cbpar/openrosa/auth.py); answers are OpenRosa XML with `X-OpenRosa-Version: 1.0`.

The server URL to type into Collect is `https://<host>/projects/<slug>/openrosa`.
"""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.openrosa import bp, responses, services
from cbpar.openrosa.auth import openrosa_member
from cbpar.projects.models import Project
from cbpar.security import Cap

XML_PART = "xml_submission_file"


@bp.route("/projects/<slug>/openrosa/formList")
@openrosa_member(Cap.VIEW_PROJECT)
def form_list(project: Project):
    forms = []
    for form_id in services.forms_for(g.membership):
        xform = services.project_xform(project, form_id)
        forms.append(
            {
                "form_id": form_id,
                "name": xform.title,
                "version": xform.version,
                "hash": f"md5:{xform.md5}",
                "download_url": url_for(
                    "openrosa.form_xml", slug=project.slug, form_id=form_id, _external=True
                ),
            }
        )
    if not forms:
        return responses.message(_("Your role in this project does not send forms."), 403)
    return responses.form_list(forms)


@bp.route("/projects/<slug>/openrosa/forms/<form_id>.xml")
@openrosa_member(Cap.VIEW_PROJECT)
def form_xml(project: Project, form_id: str):
    if form_id not in services.FORMS:
        abort(404)
    if not services.may_submit(g.membership, form_id):
        return responses.message(_("Your role in this project does not send this form."), 403)
    return responses.xml_document(services.project_xform(project, form_id).xml)


@bp.route("/projects/<slug>/openrosa/submission", methods=["HEAD", "POST"])
@openrosa_member(Cap.VIEW_PROJECT)
def submission(project: Project):
    if request.method == "HEAD":
        # Collect asks first: are my credentials good, and how large may a request be?
        return responses.no_content()
    upload = request.files.get(XML_PART)
    if upload is None:
        return responses.message(_("Send the form as xml_submission_file."), 400)
    xml = upload.read()
    files = {}
    for part, stored in request.files.items(multi=True):
        if part != XML_PART:
            files[stored.filename or part] = stored.read()
    try:
        peek = services.submissions.parse(xml)
    except services.BadSubmission as exc:
        return responses.message(str(exc), 400)
    if peek.form_id in services.FORMS and not services.may_submit(g.membership, peek.form_id):
        return responses.message(_("Your role in this project does not send this form."), 403)
    try:
        outcome = services.receive(project, current_user, xml, files)
    except services.BadSubmission as exc:
        return responses.message(str(exc), 400)
    return responses.message(_message(outcome), outcome.status)


def _message(outcome: services.Outcome) -> str:
    if outcome.kind == "duplicate":
        return _("This submission was received before; nothing was added.")
    if outcome.kind == "queued":
        reasons = "; ".join(
            f"{r['field']}: {r['message']}" if r["field"] else r["message"]
            for r in outcome.submission.reasons
        )
        return _(
            "Received. It waits for a field worker to check it, because: %(reasons)s",
            reasons=reasons,
        )
    label = getattr(outcome.record, "code", None) or getattr(outcome.record, "name", None)
    if label:
        return _("Thank you: %(label)s is saved.", label=label)
    return _("Thank you: the record is saved.")
