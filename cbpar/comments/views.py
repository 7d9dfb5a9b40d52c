"""Comment actions, shared by every record page that includes templates/comments/_thread.html."""

from __future__ import annotations

from flask import abort, flash, g, redirect
from flask_babel import gettext as _
from flask_login import current_user

from cbpar import links
from cbpar.access import require
from cbpar.comments import bp, services
from cbpar.comments.forms import CommentForm
from cbpar.forms import check_button
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import form_page, invalid


def _back(project: Project, record, comment_id: int | None = None):
    url = links.type_of(record).url(record, project.slug)
    return redirect(url + (f"#comment-{comment_id}" if comment_id else "#comments"), code=303)


def _own_comment(project: Project, comment_id: int):
    comment = services.get_comment(project, comment_id) or abort(404)
    record = services.target_of(comment)
    if record is None or not services.can_read(g.membership, record):
        abort(404)
    return comment, record


@bp.route("/projects/<slug>/comments/<target_type>/<int:target_id>", methods=["POST"])
@require(Cap.COMMENT)
def add(project: Project, target_type: str, target_id: int):
    record = services.resolve_target(project, target_type, target_id)
    if record is None or not services.can_read(g.membership, record):
        abort(404)
    form = CommentForm()
    if not form.validate_on_submit():
        return invalid(
            "comments/form.html",
            project=project,
            form=form,
            record=record,
            action="add",
            comment=None,
        )
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    try:
        comment = services.add_comment(record, current_user, form.body.data, parent_id)
    except services.CommentError:
        abort(400)
    flash(_("Comment posted."), "success")
    return _back(project, record, comment.id)


@bp.route("/projects/<slug>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@require(Cap.COMMENT)
def edit(project: Project, comment_id: int):
    comment, record = _own_comment(project, comment_id)
    if not services.can_edit(current_user, comment):
        abort(403)
    form = CommentForm(obj=comment)
    context = {
        "project": project,
        "form": form,
        "record": record,
        "action": "edit",
        "comment": comment,
    }
    if form.validate_on_submit():
        services.edit(comment, form.body.data)
        flash(_("Comment saved."), "success")
        return _back(project, record, comment.id)
    return form_page("comments/form.html", **context)


@bp.route("/projects/<slug>/comments/<int:comment_id>/delete", methods=["POST"])
@require(Cap.COMMENT)
def delete(project: Project, comment_id: int):
    comment, record = _own_comment(project, comment_id)
    if not services.can_edit(current_user, comment):
        abort(403)
    check_button()
    services.delete_comment(comment)
    flash(_("Comment deleted."), "success")
    return _back(project, record)


@bp.route("/projects/<slug>/comments/<int:comment_id>/hide", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def hide(project: Project, comment_id: int):
    comment, record = _own_comment(project, comment_id)
    check_button()
    services.set_hidden(comment, not comment.hidden, current_user)
    flash(_("Comment hidden.") if comment.hidden else _("Comment shown again."), "success")
    return _back(project, record, comment.id)
