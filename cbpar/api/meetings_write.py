"""Meeting endpoints of the JSON API that change things: plan (once per client_id), edit,
attendance and minutes, with the pages' forms, capabilities and version checks.

- ``POST /projects/<slug>/meetings``: plan a meeting (MeetingForm's checks; `write_meetings`).
- ``GET|PUT /meetings/<id>``: one meeting; PUT is based on its `version` (409 when stale).
- ``GET|PUT /meetings/<id>/attendance``: members present (by username) and guests, as the
  attendance page records them: each guest group a role, gender and age group with a count
  (the page's categories). PUT replaces what is sent (`members`, `guests` or both).
- ``GET|PUT /meetings/<id>/minutes``: the minutes text; PUT sends the `version` it is based
  on (0 when there are none yet): a save based on an older version is refused (409), never
  lost (cbpar/meetings/minutes.py). Approved minutes change only with a `reason`.
  Approval stays on the pages.

Times are the project's local time: `starts_at` may be "2024-05-01T09:00" (local) or carry
an offset ("2024-05-01T01:00:00Z"), which is turned into the project's time zone.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require_login
from cbpar.api import bp, idempotency
from cbpar.api.meetings import meeting_json
from cbpar.api.writing import (
    answer,
    bad_request,
    check_fields,
    conflict,
    json_body,
    member_project,
    save_or_conflict,
    validated,
    version_of,
)
from cbpar.db import db
from cbpar.editing import EditConflict
from cbpar.meetings import minutes as minutes_services
from cbpar.meetings import services
from cbpar.meetings.forms import GuestForm, MeetingForm, MinutesForm
from cbpar.meetings.models import Meeting
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.text import render_markdown

KIND = "meeting"
INPUT_FIELDS = ("kind", "title", "starts_at", "ends_at", "place", "village_id", "agenda")
READ_ONLY = (
    "id",
    "timezone",
    "village",
    "status",
    "attendance",
    "minutes",
    "decisions",
    "action_items",
    "url",
)
MAX_GUESTS = 2000  # in one meeting, as groups add up


def _json(project: Project, meeting: Meeting) -> dict[str, Any]:
    return meeting_json(project, meeting, services.project_today(project))


def _local_text(value: Any, project: Project, name: str) -> Any:
    """An ISO time with an offset, as the naive local time the page's form takes."""
    if not isinstance(value, str) or not value.strip():
        return value
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return value  # the form names the problem
    if parsed.tzinfo is None:
        return value
    local = parsed.astimezone(ZoneInfo(project.timezone)).replace(tzinfo=None)
    return local.strftime("%Y-%m-%dT%H:%M:%S")


def _values(meeting: Meeting | None, body: dict[str, Any], project: Project) -> dict[str, Any]:
    check_fields(body, INPUT_FIELDS, READ_ONLY)
    values: dict[str, Any] = {}
    if meeting is not None:
        values = {
            "kind": meeting.kind.value,
            "title": meeting.title,
            "starts_at": services.to_local(meeting.starts_at, project).strftime(
                "%Y-%m-%dT%H:%M:%S"
            ),
            "ends_at": services.to_local(meeting.ends_at, project).strftime("%Y-%m-%dT%H:%M:%S")
            if meeting.ends_at
            else None,
            "place": meeting.place,
            "village_id": meeting.village_id,
            "agenda": meeting.agenda,
        }
    values.update({k: v for k, v in body.items() if k in INPUT_FIELDS})
    for name in ("starts_at", "ends_at"):
        values[name] = _local_text(values.get(name), project, name)
    return values


def _data(project: Project, values: dict[str, Any]) -> dict[str, Any]:
    """The page's checks (MeetingForm), and its times turned into UTC."""
    form = validated(MeetingForm, values, villages=project.villages, timezone=project.timezone)
    data = form.data_dict()
    data["starts_at"] = services.to_utc(data["starts_at"], project)
    if data["ends_at"] is not None:
        data["ends_at"] = services.to_utc(data["ends_at"], project)
    return data


def create_meeting(project: Project):
    """POST /projects/<slug>/meetings (the list endpoint checks write_meetings)."""
    body = json_body()
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, KIND, client_id)
    created = False
    if found is None:
        data = _data(project, _values(None, body, project))
        found, created = idempotency.create_once(
            project, KIND, client_id, lambda: services.create_meeting(project, data, current_user)
        )
    meeting = services.get_meeting(project, found) or abort(404)
    return answer(
        _json(project, meeting),
        201 if created else 200,
        url_for("api.meeting", meeting_id=meeting.id, _external=True),
    )


def _load(meeting_id: int) -> tuple[Meeting, Project]:
    """The meeting, if the caller may read its project's meetings; 404 otherwise."""
    meeting = db.session.get(Meeting, meeting_id) or abort(404)
    project = member_project(meeting.project_id)
    if not membership_can(g.membership, Cap.READ_MEETINGS):
        abort(404)
    return meeting, project


def _writer() -> None:
    if not membership_can(g.membership, Cap.WRITE_MEETINGS):
        abort(403)


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "PUT"])
@require_login
def meeting(meeting_id: int):
    meeting, project = _load(meeting_id)
    if request.method == "GET":
        return answer(_json(project, meeting))
    _writer()
    body = json_body()
    version = version_of(body)
    data = _data(project, _values(meeting, body, project))
    stale = save_or_conflict(
        lambda: services.update_meeting(meeting, data, version),
        lambda: services.get_meeting(project, meeting_id),
        lambda current: _json(project, current),
        version,
        _("The meeting was changed since that version; nothing was overwritten."),
        _("Someone else deleted this meeting while you were editing it."),
    )
    return stale or answer(_json(project, meeting))


# --- attendance ------------------------------------------------------------------------------


def attendance_json(meeting: Meeting) -> dict[str, Any]:
    present = services.attendee_ids(meeting)
    return {
        "meeting_id": meeting.id,
        "members": [
            {"username": m.user.username, "name": m.user.name}
            for m in services.members(meeting.project)
            if m.user_id in present
        ],
        "guests": [
            {
                "id": guest.id,
                "name": guest.name or None,
                "role": guest.role.value,
                "gender": guest.gender.value,
                "age_group": guest.age_group.value if guest.age_group else None,
            }
            for guest in meeting.guests
        ],
        "summary": services.participation(meeting).as_dict(),
    }


def _member_ids(project: Project, names: Any) -> set[int]:
    message = _("members: a list of usernames of this project's members.")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_request("members", message)
    by_name = {m.user.username.lower(): m.user_id for m in services.members(project)}
    ids = set()
    for name in names:
        user_id = by_name.get(name.strip().lower())
        if user_id is None:
            raise bad_request(
                "members", _("members: %(name)s is not a member of this project.", name=name)
            )
        ids.add(user_id)
    return ids


def _guest_rows(groups: Any) -> list[tuple[str, Any, Any, Any]]:
    """Each group checked by the page's GuestForm; a row per guest."""
    if not isinstance(groups, list) or not all(isinstance(x, dict) for x in groups):
        raise bad_request("guests", _("guests: a list of groups, each a JSON object."))
    rows: list[tuple[str, Any, Any, Any]] = []
    for group in groups:
        check_fields(group, ("name", "role", "gender", "age_group", "count"))
        count = group.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_GUESTS:
            raise bad_request("count", _("count: a whole number of guests from 1."))
        if count > 1 and (group.get("name") or "").strip():
            raise bad_request("name", _("name: only for a group of one guest."))
        values = {k: v for k, v in group.items() if k != "count"}
        data = validated(GuestForm, values).data_dict()
        rows += [(data["name"], data["role"], data["gender"], data["age_group"])] * count
    if len(rows) > MAX_GUESTS:
        raise bad_request("guests", _("guests: at most %(n)d in one meeting.", n=MAX_GUESTS))
    return rows


def _set_guests(meeting: Meeting, rows: list[tuple[str, Any, Any, Any]]) -> None:
    """Make the guests exactly these (unchanged guests keep their ids)."""
    wanted = Counter(rows)
    for guest in list(meeting.guests):
        key = (guest.name, guest.role, guest.gender, guest.age_group)
        if wanted[key] > 0:
            wanted[key] -= 1
        else:
            services.remove_guest(meeting, guest.id)
    for (name, role, gender, age_group), count in sorted(
        wanted.items(), key=lambda item: [str(x) for x in item[0]]
    ):
        for _i in range(count):
            data = {"name": name, "role": role, "gender": gender, "age_group": age_group}
            services.add_guest(meeting, data)


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "PUT"])
@require_login
def meeting_attendance(meeting_id: int):
    meeting, project = _load(meeting_id)
    _writer()  # the attendance page is for writers: it names guests
    if request.method == "PUT":
        body = json_body()
        check_fields(body, ("members", "guests"), ("meeting_id", "summary"))
        if "members" not in body and "guests" not in body:
            raise bad_request("members", _("Send members, guests or both."))
        ids = _member_ids(project, body["members"]) if "members" in body else None
        guests = _guest_rows(body["guests"]) if "guests" in body else None
        if ids is not None:
            services.set_attendance(meeting, ids)
        if guests is not None:
            _set_guests(meeting, guests)
        db.session.flush()
        db.session.expire(meeting, ["attendances", "guests"])
    return answer(attendance_json(meeting))


# --- minutes ---------------------------------------------------------------------------------


def minutes_json(meeting: Meeting) -> dict[str, Any]:
    minutes = meeting.minutes
    if minutes is None:
        return {
            "meeting_id": meeting.id,
            "body": "",
            "html": "",
            "version": 0,
            "approved": False,
            "approved_at": None,
            "revision": 0,
            "editable": minutes_services.minutes_editable(meeting),
        }
    return {
        "meeting_id": meeting.id,
        "body": minutes.body,
        "html": str(render_markdown(minutes.body)),
        "version": minutes.version,
        "approved": minutes.approved,
        "approved_at": minutes.approved_at.isoformat() if minutes.approved_at else None,
        "revision": minutes_services.current_revision_number(minutes),
        "editable": minutes_services.minutes_editable(meeting),
    }


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "PUT"])
@require_login
def meeting_minutes(meeting_id: int):
    meeting, _project = _load(meeting_id)
    if request.method == "GET":
        return answer(minutes_json(meeting))
    _writer()
    body = json_body()
    check_fields(body, ("body", "reason"), ("meeting_id", "html", "approved", "approved_at"))
    version = version_of(body)
    if not isinstance(body.get("body"), str):
        raise bad_request("body", _("body: the minutes as Markdown text."))
    form = validated(MinutesForm, {"body": body["body"], "reason": body.get("reason") or ""})
    if not minutes_services.minutes_editable(meeting):
        return conflict(
            _("Minutes of a cancelled meeting cannot be written."),
            minutes_json(meeting),
            version,
        )
    try:
        minutes_services.save_minutes(
            meeting, form.body.data or "", version, current_user, form.reason.data or ""
        )
    except minutes_services.ReasonRequired:
        raise bad_request(
            "reason", "reason: " + _("Give a reason: these minutes were approved.")
        ) from None
    except EditConflict:
        db.session.rollback()
        current = db.session.get(Meeting, meeting_id)
        return conflict(
            _("The minutes were changed since that version; nothing was overwritten."),
            minutes_json(current) if current is not None else None,
            version,
        )
    return answer(minutes_json(meeting))
