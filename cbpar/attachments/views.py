"""Upload, download and delete attachments; every download passes a permission check."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require
from cbpar.attachments import bp, services
from cbpar.forms import check_button
from cbpar.projects.models import Project
from cbpar.security import Cap

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def _back(project: Project, record):
    return redirect(services.back_url(record, project.slug) + "#attachments", code=303)


@bp.route("/projects/<slug>/attachments/<target_type>/<int:target_id>", methods=["POST"])
@require(Cap.VIEW_PROJECT)
def upload(project: Project, target_type: str, target_id: int):
    record = services.resolve_target(project, target_type, target_id)
    if record is None or not services.can_view(g.membership, record):
        abort(404)
    if not services.can_attach(g.membership, record):
        abort(403)
    check_button()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file to attach."), "error")
        return _back(project, record)
    try:
        services.save_attachment(record, upload.stream, upload.filename, current_user)
    except services.Refused as refused:
        if refused.too_large:
            abort(413)
        flash(
            refused.shown
            or _(
                "Only JPEG, PNG, GIF, WebP images, PDF files and sound recordings (m4a, MP3,"
                " AMR, Ogg, WebM, WAV) can be attached."
            ),
            "error",
        )
        return _back(project, record)
    flash(_("File attached."), "success")
    return _back(project, record)


@bp.route("/projects/<slug>/attachments/<int:attachment_id>")
@require(Cap.VIEW_PROJECT)
def download(project: Project, attachment_id: int):
    attachment = services.get_attachment(project, attachment_id) or abort(404)
    record = services.target_of(attachment)
    if record is None or not services.can_view(g.membership, record):
        abort(404)
    stored = services.open_file(attachment) or abort(404)
    inline = attachment.content_type in INLINE_TYPES and request.args.get("download") is None
    response = send_file(
        stored,
        mimetype=attachment.content_type,
        as_attachment=not inline,
        download_name=attachment.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/projects/<slug>/attachments/<int:attachment_id>/delete", methods=["POST"])
@require(Cap.VIEW_PROJECT)
def delete(project: Project, attachment_id: int):
    attachment = services.get_attachment(project, attachment_id) or abort(404)
    record = services.target_of(attachment)
    if record is None or not services.can_view(g.membership, record):
        abort(404)
    if not services.can_attach(g.membership, record):
        abort(403)
    check_button()
    services.delete_attachment(attachment)
    flash(_("Attachment deleted."), "success")
    return _back(project, record)
