"""Meeting pages: list, meeting, attendance, print, calendar. Minutes, decisions, action items
and discussed records are in `minutes_views`."""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cbpar.access import public, require
from cbpar.editing import EditConflict, conflict_page, posted_version
from cbpar.forms import EmptyForm, check_button
from cbpar.meetings import bp, calendar, feeds, services
from cbpar.meetings import minutes as minutes_services
from cbpar.meetings.forms import (
    ActionItemForm,
    ActionStatusForm,
    DecisionForm,
    DiscussedForm,
    GuestForm,
    MeetingForm,
    MeetingSettingsForm,
)
from cbpar.meetings.models import (
    ActionStatus,
    AgeGroup,
    Gender,
    GuestRole,
    Meeting,
    MeetingStatus,
)
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import form_page, no_store, page_number, paginate

PER_PAGE = 25


def _meeting(project: Project, meeting_id: int) -> Meeting:
    return services.get_meeting(project, meeting_id) or abort(404)


def _to_meeting(project: Project, meeting: Meeting, anchor: str = "") -> Response:
    url = url_for("meetings.meeting", slug=project.slug, meeting_id=meeting.id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


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
        statuses=MeetingStatus,
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
    return form_page("meetings/settings.html", project=project, form=form)


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
    return form_page("meetings/form.html", project=project, form=form, meeting=None)


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
    return form_page("meetings/form.html", project=project, form=form, meeting=meeting)


def _meeting_conflict(project: Project, meeting_id: int, form: MeetingForm) -> Response:
    """Nothing is lost: what the editor typed stays in the form, next to what is stored now."""

    def in_local_time(current: Meeting) -> SimpleNamespace:  # the form holds local times
        stored = SimpleNamespace(**{f: getattr(current, f) for f in services.MEETING_FIELDS})
        for name in ("starts_at", "ends_at"):
            value = getattr(stored, name)
            if value is not None:
                setattr(stored, name, services.to_local(value, project).replace(tzinfo=None))
        return stored

    return conflict_page(
        "meetings/form.html",
        form,
        lambda: services.get_meeting(project, meeting_id),
        services.MEETING_FIELDS,
        record="meeting",
        gone=_("Someone else deleted this meeting while you were editing it."),
        stored=in_local_time,
        project=project,
        meeting=None,
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
        "can_approve": minutes_services.can_approve(membership, record),
        "may_approve_once_held": minutes_services.may_approve_once_held(membership, record),
        "approval_mode": services.settings_for(project).approval,
        "pending": minutes_services.pending_approvers(record) if record.minutes else [],
        "today": services.project_today(project),
        "status_form": ActionStatusForm(formdata=None),
        "action_statuses": ActionStatus,
        "can_update_action": lambda item: services.can_update_action(membership, item),
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
    check_button()
    try:
        services.change_status(record, request.form.get("action", ""))
    except services.TransitionError:
        abort(409)
    flash(_("Meeting status changed."), "success")
    if request.form.get("next") == "approve" and record.status == MeetingStatus.HELD:
        # Marked as held from the approval page: back to approving, which now can go ahead.
        return redirect(
            url_for("meetings.approve_minutes", slug=project.slug, meeting_id=record.id)
        )
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
        check_button()
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
    check_button()
    if not services.remove_guest(record, guest_id):
        abort(404)
    flash(_("Guest removed."), "success")
    return redirect(url_for("meetings.attendance", slug=project.slug, meeting_id=record.id))


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
        genders=Gender,
        age_groups=AgeGroup,
        guest_roles=GuestRole,
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
        check_button()
        if request.form.get("action") == "revoke":
            feeds.revoke_feed(current_user)
            flash(_("Your calendar feed address no longer works."), "success")
        else:
            token = feeds.new_feed(current_user)
            new_url = url_for("meetings.private_feed", token=token, _external=True)
    return _render(
        "meetings/calendar.html",
        project=project,
        feed=feeds.active_feed(current_user),
        new_url=new_url,
        button_form=EmptyForm(),
    )


@bp.route("/calendar/<token>.ics")
@public
def private_feed(token: str):
    """For calendar apps: the secret in the address stands for the log-in; meetings only."""
    user = feeds.user_for_feed(token)
    if user is None:
        abort(404)
    body = calendar.meetings_ics(feeds.feed_meetings(user), name=_("CBPAR meetings"))
    return calendar.ics_response(body, "meetings")


# --- include for other features --------------------------------------------------------------


@bp.app_context_processor
def template_helpers() -> dict:
    """`meetings_discussed_in(record)` (the meetings that discussed a record, as this member
    may see them) in every template, for includes in other pages."""

    def discussed_in(record) -> list:
        membership = g.get("membership")
        if not membership_can(membership, Cap.READ_MEETINGS):
            return []
        return services.discussed_in(record, membership)

    return {"meetings_discussed_in": discussed_in}
