"""Meeting pages about what a meeting settled: minutes (with revisions and approval),
decisions, action items and the records it discussed."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cbpar import links
from cbpar.access import require
from cbpar.db import db
from cbpar.diffing import line_diff
from cbpar.editing import EditConflict
from cbpar.forms import check_button
from cbpar.meetings import bp, services
from cbpar.meetings import minutes as minutes_services
from cbpar.meetings.forms import (
    ActionItemForm,
    ActionStatusForm,
    DecisionForm,
    MinutesForm,
)
from cbpar.meetings.models import (
    ActionStatus,
    Meeting,
)
from cbpar.meetings.views import _meeting, _render, _to_meeting
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import int_arg, invalid, page_number, paginate, parse_int

# --- minutes ---------------------------------------------------------------------------------


def _minutes_context(project: Project, record: Meeting, form: MinutesForm, **extra) -> dict:
    return {"project": project, "meeting": record, "form": form, "conflict": None, **extra}


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@require(Cap.WRITE_MEETINGS)
def edit_minutes(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    if not minutes_services.minutes_editable(record):
        flash(_("Minutes of a cancelled meeting cannot be written."), "error")
        return _to_meeting(project, record)
    minutes = record.minutes
    form = MinutesForm()
    if not form.is_submitted():
        form.body.data = minutes.body if minutes else (record.agenda or "")
        form.version.data = str(minutes.version if minutes else 0)
        return _render("meetings/minutes_form.html", **_minutes_context(project, record, form))
    if not form.validate_on_submit():
        return invalid("meetings/minutes_form.html", **_minutes_context(project, record, form))
    try:
        version = int(request.form["version"])
    except (KeyError, ValueError):
        abort(400)
    try:
        revision = minutes_services.save_minutes(
            record, form.body.data or "", version, current_user, form.reason.data or ""
        )
    except minutes_services.ReasonRequired:
        form.reason.errors = [_("Give a reason: these minutes were approved.")]
        return invalid("meetings/minutes_form.html", **_minutes_context(project, record, form))
    except EditConflict:
        return _minutes_conflict(project, meeting_id, form)
    except services.TransitionError:
        abort(409)
    if revision is None:
        flash(_("No changes to save."), "info")
    else:
        flash(_("Minutes saved (revision %(n)d).", n=revision.number), "success")
    return _to_meeting(project, record, "minutes")


def _minutes_conflict(project: Project, meeting_id: int, form: MinutesForm) -> Response:
    """Nothing is lost: the editor's text stays in the form, next to what is stored now."""
    db.session.rollback()
    record = _meeting(project, meeting_id)
    stored = record.minutes.body if record.minutes else ""
    form.version.data = str(record.minutes.version if record.minutes else 0)
    context = _minutes_context(
        project,
        record,
        form,
        conflict={
            "stored": stored,
            "yours": form.body.data or "",
            "diff": line_diff(stored, form.body.data or ""),
        },
    )
    return _render("meetings/minutes_form.html", 409, **context)


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/minutes/approve", methods=["GET", "POST"])
# Approving is open to members who read meetings; who may approve is the minutes' own rule.
@require(Cap.READ_MEETINGS, write=Cap.READ_MEETINGS)
def approve_minutes(project: Project, meeting_id: int):
    """GET asks first (what is approved, that it cannot be undone); POST approves."""
    record = _meeting(project, meeting_id)
    minutes = record.minutes
    if request.method == "GET":
        if minutes is None or not minutes.body.strip() or minutes.approved:
            return _to_meeting(project, record, "minutes")
        if not minutes_services.may_approve_once_held(g.membership, record):
            abort(403)
        return _render(
            "meetings/approve_minutes.html",
            project=project,
            meeting=record,
            minutes=minutes,
            revision=minutes.revisions[-1] if minutes.revisions else None,
            held=minutes_services.can_approve(g.membership, record),
            approval_mode=services.settings_for(project).approval,
            pending=minutes_services.pending_approvers(record),
            writer=membership_can(g.membership, Cap.WRITE_MEETINGS),
        )
    check_button()
    seen = parse_int(request.form.get("revision"))
    if (
        seen is not None
        and minutes is not None
        and seen != minutes_services.current_revision_number(minutes)
    ):
        flash(_("The minutes changed since you opened them. Read them again, then approve."),
              "error")  # fmt: skip
        return redirect(
            url_for("meetings.approve_minutes", slug=project.slug, meeting_id=record.id)
        )
    try:
        done = minutes_services.approve_minutes(record, g.membership, current_user)
    except services.TransitionError:
        abort(409)  # not held, no minutes, or approved already
    except PermissionError:
        abort(403)
    if done:
        flash(_("Minutes approved. They are now locked."), "success")
    else:
        flash(_("Your approval is recorded. Other attendees still need to approve."), "success")
    return _to_meeting(project, record, "minutes")


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/minutes/revisions")
@require(Cap.READ_MEETINGS)
def revisions(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    minutes = record.minutes or abort(404)
    numbers = [r.number for r in minutes.revisions]
    new_no = int_arg("new") or numbers[-1]
    old_no = int_arg("old")
    if old_no is None:
        old_no = max((n for n in numbers if n < new_no), default=0)
    new = minutes_services.get_revision(minutes, new_no) or abort(404)
    old = minutes_services.get_revision(minutes, old_no) if old_no else None
    return _render(
        "meetings/revisions.html",
        project=project,
        meeting=record,
        minutes=minutes,
        old=old,
        new=new,
        rows=line_diff(old.body if old else "", new.body),
    )


# --- decisions, action items, discussed records ----------------------------------------------


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/decisions", methods=["POST"])
@require(Cap.WRITE_MEETINGS)
def add_decision(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Write the decision before adding it. Nothing was saved."), "error")
        return _to_meeting(project, record, "decisions")
    services.add_decision(record, form.text.data, current_user)
    flash(_("Decision recorded."), "success")
    return _to_meeting(project, record, "decisions")


@bp.route(
    "/projects/<slug>/meetings/<int:meeting_id>/decisions/<int:decision_id>/delete",
    methods=["POST"],
)
@require(Cap.WRITE_MEETINGS)
def delete_decision(project: Project, meeting_id: int, decision_id: int):
    record = _meeting(project, meeting_id)
    check_button()
    if not services.delete_decision(record, decision_id):
        abort(404)
    flash(_("Decision deleted."), "success")
    return _to_meeting(project, record, "decisions")


@bp.route("/projects/<slug>/decisions")
@require(Cap.READ_MEETINGS)
def decisions(project: Project):
    page = paginate(services.decisions_query(project), page_number(request.args.get("page")), 50)
    return _render("meetings/decisions.html", project=project, page=page)


@bp.route("/projects/<slug>/decisions/<int:decision_id>")
@require(Cap.READ_MEETINGS)
def meeting_decision(project: Project, decision_id: int):
    """A decision's address, for links from other records: its place on the meeting page."""
    decision = services.get_decision(project, decision_id) or abort(404)
    return _to_meeting(project, decision.meeting, f"decision-{decision.id}")


@bp.route("/projects/<slug>/action-items/<int:item_id>")
@require(Cap.READ_MEETINGS)
def meeting_action_item(project: Project, item_id: int):
    item = services.get_action_item(project, item_id) or abort(404)
    return _to_meeting(project, item.meeting, f"action-{item.id}")


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/actions", methods=["POST"])
@require(Cap.WRITE_MEETINGS)
def add_action_item(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    form = ActionItemForm(members=services.members(project))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return _to_meeting(project, record, "actions")
    services.add_action_item(record, form.data_dict(), current_user)
    flash(_("Action item added."), "success")
    return _to_meeting(project, record, "actions")


@bp.route("/projects/<slug>/action-items/<int:item_id>/status", methods=["POST"])
@require(Cap.READ_MEETINGS)
def action_status(project: Project, item_id: int):
    item = services.get_action_item(project, item_id) or abort(404)
    if not services.can_update_action(g.membership, item):
        abort(403)
    form = ActionStatusForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_action_status(item, form.value())
    flash(_("Action item updated."), "success")
    target = request.form.get("next", "")
    if target == "list":
        return redirect(url_for("meetings.action_items", slug=project.slug))
    return _to_meeting(project, item.meeting, "actions")


@bp.route("/projects/<slug>/action-items")
@require(Cap.READ_MEETINGS)
def action_items(project: Project):
    mine = request.args.get("mine") == "1"
    query = services.action_items_query(project, current_user if mine else None)
    page = paginate(query, page_number(request.args.get("page")), 50)
    return _render(
        "meetings/action_items.html",
        project=project,
        page=page,
        mine=mine,
        today=services.project_today(project),
        status_form=ActionStatusForm(formdata=None),
        action_statuses=ActionStatus,
        can_update_action=lambda item: services.can_update_action(g.membership, item),
    )


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/discussed", methods=["POST"])
@require(Cap.WRITE_MEETINGS)
def add_discussed(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    check_button()
    target = services.resolve_discussable(project, g.membership, request.form.get("record", ""))
    if target is None:
        abort(400)
    links.add(record, target, "discussed", by=current_user)
    flash(_("Linked as discussed."), "success")
    return _to_meeting(project, record, "discussed")


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/discussed/remove", methods=["POST"])
@require(Cap.WRITE_MEETINGS)
def remove_discussed(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    check_button()
    target = services.resolve_discussable(project, g.membership, request.form.get("record", ""))
    if target is None or not links.remove(record, target, "discussed"):
        abort(404)
    flash(_("Link removed."), "success")
    return _to_meeting(project, record, "discussed")
