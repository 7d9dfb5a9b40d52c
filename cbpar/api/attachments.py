"""Files on an interview or a contact through the JSON API: the field app uploads a recording
or a photo after the interview (or contact) itself is created (multipart: `file`, and a
`client_id` so a resend stores it once).

The rules are the attachment pages': the interview's content must be visible to the caller
and not erased (consent withdrawn: no file is added, and erasure deletes them all), the type
is decided by the file's first bytes, and the size limit is MAX_AUDIO_BYTES for a recording,
MAX_ATTACHMENT_BYTES for anything else. A recording needs the consent to cover audio
(the interview's own rule, `interviews.services.media_problem`). A contact takes recordings
and photos, seen and added only by the field roles that see children, and only while the
child's consent stands (`care.services.can_see_files`, `can_attach_files`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, g, request
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require_login
from cbpar.api import bp
from cbpar.api.interviews import _load
from cbpar.api.writing import Problem, answer, bad_request, created_once, member_project
from cbpar.attachments import services as attachments
from cbpar.attachments.models import Attachment
from cbpar.care.models import ContactLog
from cbpar.db import db
from cbpar.security import Cap, membership_can

KIND = "interview_attachment"
CONTACT_KIND = "contact_attachment"


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": attachment.created_at.isoformat(),
    }


@bp.route("/interviews/<int:interview_id>/attachments", methods=["GET", "POST"])
@require_login
def interview_attachments(interview_id: int):
    interview, project = _load(interview_id)
    if not attachments.can_view(g.membership, interview):
        abort(404)
    if request.method == "GET":
        return _listing(interview)
    if not membership_can(g.membership, Cap.EDIT_FIELD_RECORDS) or not attachments.can_attach(
        g.membership, interview
    ):
        abort(403)
    return _upload(project, interview, KIND)


@bp.route("/contacts/<int:contact_id>/attachments", methods=["GET", "POST"])
@require_login
def contact_attachments(contact_id: int):
    """A contact's recordings and photos: the field roles that see children (others: 404)."""
    contact = db.session.get(ContactLog, contact_id) or abort(404)
    project = member_project(contact.project_id)
    if not attachments.can_view(g.membership, contact):
        abort(404)
    if request.method == "GET":
        return _listing(contact)
    if not attachments.can_attach(g.membership, contact):
        abort(403)
    return _upload(project, contact, CONTACT_KIND)


def _listing(record: Any) -> Any:
    return answer({"attachments": [attachment_json(a) for a in attachments.list_for(record)]})


def _upload(project: Any, record: Any, kind: str) -> Any:
    """Store the posted `file` on `record`, once per client_id."""

    def make() -> Callable[[], Any]:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise bad_request("file", _("file: the file to attach."))
        head = upload.stream.read(16)
        upload.stream.seek(0)
        detected = attachments.detect_type(head)
        if detected is None:
            raise bad_request(
                "file",
                _(
                    "file: only JPEG, PNG, GIF, WebP images, PDF files and sound recordings"
                    " (m4a, MP3, AMR, Ogg, WebM, WAV)."
                ),
            )
        problem = attachments.refusal(record, detected[0])
        if problem:
            raise bad_request("file", problem)

        def save() -> Attachment:
            try:
                return attachments.save_attachment(
                    record, upload.stream, upload.filename, current_user
                )
            except attachments.Refused as refused:
                if refused.too_large:
                    raise Problem(
                        answer({"error": "too_large", "message": _("The file is too large.")}, 413)
                    ) from None
                message = refused.shown or _("file: this file cannot be attached.")
                raise bad_request("file", message) from None

        return save

    found, created = created_once(project, kind, {"client_id": request.form.get("client_id")}, make)
    attachment = attachments.get_attachment(project, found) or abort(404)
    return answer(attachment_json(attachment), 201 if created else 200)
