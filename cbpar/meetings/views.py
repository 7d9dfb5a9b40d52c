"""Meeting pages: list, meeting, attendance, minutes, decisions, action items, print, calendar."""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cbpar import links
from cbpar.auth.forms import EmptyForm
from cbpar.db import db
from cbpar.diffing import line_diff
from cbpar.editing import EditConflict, conflict_rows, posted_version
from cbpar.meetings import bp, calendar, labels, services
from cbpar.meetings import minutes as minutes_services
from cbpar.meetings.forms import (
    ActionItemForm,
    ActionStatusForm,
    DecisionForm,
    DiscussedForm,
    GuestForm,
    MeetingForm,
    MeetingSettingsForm,
    MinutesForm,
)
from cbpar.meetings.models import Meeting, MeetingStatus
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can, public, require
from cbpar.web import int_arg, invalid, no_store, page_number, paginate

PER_PAGE = 25


def _meeting(project: Project, meeting_id: int) -> Meeting:
    return services.get_meeting(project, meeting_id) or abort(404)


def _to_meeting(project: Project, meeting: Meeting, anchor: str = "") -> Response:
    url = url_for("meetings.meeting", slug=project.slug, meeting_id=meeting.id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _check_button() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


def _render(template: str, http_status: int = 200, /, **context) -> Response:
    # Positional-only, so a template variable named `status` (the meeting filter) can never
    # become the HTTP status.
    return no_store(render_template(template, **context), http_status)


# --- list and settings -----------------------------------------------------------------------


@bp.route("/projects/<slug>/meetings/")
@require(Cap.READ_MEETINGS)
def index(project: Project):
    status = request.args.get("status")
    status = MeetingStatus(status) if status in set(MeetingStatus) else None
    query = services.with_details(services.meetings_query(project, status))
    page = paginate(query, page_number(request.args.get("page")), PER_PAGE)
    return _render(
        "meetings/index.html",
        project=project,
        page=page,
        status=status,
        summary=services.project_participation(project),
    )


@bp.route("/projects/<slug>/meetings/settings", methods=["GET", "POST"])
@require(Cap.MANAGE_PROJECT)
def settings(project: Project):
    current = services.settings_for(project)
    form = MeetingSettingsForm(data={"approval": current.approval.value})
    if form.validate_on_submit():
        services.set_approval_mode(project, form.value())
        flash(_("Meeting settings saved."), "success")
        return redirect(url_for("meetings.settings", slug=project.slug))
    if form.is_submitted():
        return invalid("meetings/settings.html", project=project, form=form)
    return _render("meetings/settings.html", project=project, form=form)


# --- one meeting -----------------------------------------------------------------------------


def _meeting_form(project: Project, **kwargs) -> MeetingForm:
    return MeetingForm(villages=project.villages, timezone=project.timezone, **kwargs)


def _meeting_data(form: MeetingForm, project: Project) -> dict:
    data = form.data_dict()
    data["starts_at"] = services.to_utc(data["starts_at"], project)
    if data["ends_at"] is not None:
        data["ends_at"] = services.to_utc(data["ends_at"], project)
    return data


@bp.route("/projects/<slug>/meetings/new", methods=["GET", "POST"])
@require(Cap.WRITE_MEETINGS)
def new_meeting(project: Project):
    form = _meeting_form(project)
    if form.validate_on_submit():
        meeting = services.create_meeting(project, _meeting_data(form, project), current_user)
        flash(_("Meeting planned."), "success")
        return _to_meeting(project, meeting)
    if form.is_submitted():
        return invalid("meetings/form.html", project=project, form=form, meeting=None)
    return _render("meetings/form.html", project=project, form=form, meeting=None)


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@require(Cap.WRITE_MEETINGS)
def edit_meeting(project: Project, meeting_id: int):
    meeting = _meeting(project, meeting_id)
    form = _meeting_form(project, obj=meeting)
    if not form.is_submitted():
        form.starts_at.data = services.to_local(meeting.starts_at, project).replace(tzinfo=None)
        if meeting.ends_at is not None:
            form.ends_at.data = services.to_local(meeting.ends_at, project).replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            services.update_meeting(meeting, _meeting_data(form, project), posted_version())
        except EditConflict:
            return _meeting_conflict(project, meeting_id, form)
        flash(_("Meeting saved."), "success")
        return _to_meeting(project, meeting)
    if form.is_submitted():
        return invalid("meetings/form.html", project=project, form=form, meeting=meeting)
    return _render("meetings/form.html", project=project, form=form, meeting=meeting)


def _meeting_conflict(project: Project, meeting_id: int, form: MeetingForm) -> Response:
    """Nothing is lost: what the editor typed stays in the form, next to what is stored now."""
    db.session.rollback()
    current = services.get_meeting(project, meeting_id)
    if current is None:
        flash(_("Someone else deleted this meeting while you were editing it."), "error")
        return _render("meetings/form.html", 409, project=project, form=form, meeting=None)
    # Compare like with like: the form holds local times and may hold browser line endings.
    form.agenda.data = (form.agenda.data or "").replace("\r\n", "\n")
    stored = SimpleNamespace(**{name: getattr(current, name) for name in services.MEETING_FIELDS})
    for name in ("starts_at", "ends_at"):
        value = getattr(stored, name)
        if value is not None:
            setattr(stored, name, services.to_local(value, project).replace(tzinfo=None))
    conflict = conflict_rows(form, stored, services.MEETING_FIELDS)
    form.version.data = str(current.version)  # saving again now overwrites, knowingly
    return _render(
        "meetings/form.html", 409, project=project, form=form, meeting=current, conflict=conflict
    )


@bp.route("/projects/<slug>/meetings/<int:meeting_id>")
@require(Cap.READ_MEETINGS)
def meeting(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    membership = g.membership
    writer = membership_can(membership, Cap.WRITE_MEETINGS)
    context = {
        "project": project,
        "meeting": record,
        "summary": services.participation(record),
        "attendees": sorted((a.user for a in record.attendances), key=lambda u: u.name.lower()),
        "discussed": services.discussed(record, membership),
        "button_form": EmptyForm(),
        "actions": services.allowed_actions(record) if writer else [],
        "can_approve": minutes_services.can_approve(record, membership),
        "approval_mode": services.settings_for(project).approval,
        "pending": minutes_services.pending_approvers(record) if record.minutes else [],
        "today": services.project_today(project),
        "status_form": ActionStatusForm(formdata=None),
        "may_update_action": lambda item: services.may_update_action(item, membership),
    }
    if writer:
        context["decision_form"] = DecisionForm(formdata=None)
        context["action_form"] = ActionItemForm(formdata=None, members=services.members(project))
        groups = services.discussable_choices(project, membership)
        context["discussed_form"] = DiscussedForm(formdata=None, groups=groups) if groups else None
    return _render("meetings/meeting.html", **context)


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/status", methods=["POST"])
@require(Cap.WRITE_MEETINGS)
def change_status(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    _check_button()
    try:
        services.change_status(record, request.form.get("action", ""))
    except services.TransitionError:
        abort(409)
    flash(_("Meeting status changed."), "success")
    return _to_meeting(project, record)


# --- attendance ------------------------------------------------------------------------------


def _attendance_page(project: Project, record: Meeting, status: int = 200, guest_form=None):
    return _render(
        "meetings/attendance.html",
        status,
        project=project,
        meeting=record,
        members=services.members(project),
        present=services.attendee_ids(record),
        guest_form=guest_form or GuestForm(formdata=None),
        summary=services.participation(record),
        button_form=EmptyForm(),
    )


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@require(Cap.WRITE_MEETINGS)
def attendance(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    if request.method == "POST":
        _check_button()
        ids = {int(v) for v in request.form.getlist("present") if v.isdigit()}
        services.set_attendance(record, ids)
        flash(_("Attendance saved."), "success")
        return redirect(url_for("meetings.attendance", slug=project.slug, meeting_id=record.id))
    return _attendance_page(project, record)


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/guests", methods=["POST"])
@require(Cap.WRITE_MEETINGS)
def add_guest(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    form = GuestForm()
    if not form.validate_on_submit():
        return _attendance_page(project, record, 422, guest_form=form)
    services.add_guest(record, form.data_dict())
    flash(_("Guest added."), "success")
    return redirect(url_for("meetings.attendance", slug=project.slug, meeting_id=record.id))


@bp.route(
    "/projects/<slug>/meetings/<int:meeting_id>/guests/<int:guest_id>/delete", methods=["POST"]
)
@require(Cap.WRITE_MEETINGS)
def remove_guest(project: Project, meeting_id: int, guest_id: int):
    record = _meeting(project, meeting_id)
    _check_button()
    if not services.remove_guest(record, guest_id):
        abort(404)
    flash(_("Guest removed."), "success")
    return redirect(url_for("meetings.attendance", slug=project.slug, meeting_id=record.id))


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


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/minutes/approve", methods=["POST"])
@require(Cap.READ_MEETINGS)
def approve_minutes(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    _check_button()
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
    _check_button()
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
    if not services.may_update_action(item, g.membership):
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
        may_update_action=lambda item: services.may_update_action(item, g.membership),
    )


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/discussed", methods=["POST"])
@require(Cap.WRITE_MEETINGS)
def add_discussed(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    _check_button()
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
    _check_button()
    target = services.resolve_discussable(project, g.membership, request.form.get("record", ""))
    if target is None or not links.remove(record, target, "discussed"):
        abort(404)
    flash(_("Link removed."), "success")
    return _to_meeting(project, record, "discussed")


# --- print -----------------------------------------------------------------------------------

PRINTS = {"agenda", "signin", "minutes"}


@bp.route("/projects/<slug>/meetings/<int:meeting_id>/print/<what>")
@require(Cap.READ_MEETINGS)
def print_page(project: Project, meeting_id: int, what: str):
    if what not in PRINTS:
        abort(404)
    record = _meeting(project, meeting_id)
    return _render(
        f"meetings/print_{what}.html",
        project=project,
        meeting=record,
        members=services.members(project) if what == "signin" else [],
        attendees=sorted((a.user for a in record.attendances), key=lambda u: u.name.lower()),
        summary=services.participation(record),
        blank_rows=range(max(10, 25 - len(record.attendances))),
    )


# --- calendar --------------------------------------------------------------------------------


@bp.route("/projects/<slug>/meetings/<int:meeting_id>.ics")
@require(Cap.READ_MEETINGS)
def meeting_ics(project: Project, meeting_id: int):
    record = _meeting(project, meeting_id)
    return calendar.ics_response(calendar.meetings_ics([(project, record)]), f"meeting-{record.id}")


@bp.route("/projects/<slug>/meetings/calendar", methods=["GET", "POST"])
@require(Cap.READ_MEETINGS)
def calendar_feed(project: Project):
    new_url = None
    if request.method == "POST":
        _check_button()
        if request.form.get("action") == "revoke":
            services.revoke_feed(current_user)
            flash(_("Your calendar feed address no longer works."), "success")
        else:
            token = services.new_feed(current_user)
            new_url = url_for("meetings.private_feed", token=token, _external=True)
    return _render(
        "meetings/calendar.html",
        project=project,
        feed=services.active_feed(current_user),
        new_url=new_url,
        button_form=EmptyForm(),
    )


@bp.route("/calendar/<token>.ics")
@public
def private_feed(token: str):
    """For calendar apps: the secret in the address stands for the log-in; meetings only."""
    user = services.user_for_feed(token)
    if user is None:
        abort(404)
    body = calendar.meetings_ics(services.feed_meetings(user), name=_("CBPAR meetings"))
    return calendar.ics_response(body, "meetings")


# --- include for other features --------------------------------------------------------------


@bp.app_context_processor
def template_helpers() -> dict:
    """`meetings_discussed_in(record)` (the meetings that discussed a record, as this member
    may see them) and `ML` (meeting labels) in every template, for includes in other pages."""

    def discussed_in(record) -> list:
        membership = g.get("membership")
        if not membership_can(membership, Cap.READ_MEETINGS):
            return []
        return services.discussed_in(record, membership)

    return {"meetings_discussed_in": discussed_in, "ML": labels.ALL}
