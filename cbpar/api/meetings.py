"""Meeting endpoints of the JSON API: the project's meetings, and its calendar as .ics."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request, url_for

from cbpar.access import require
from cbpar.api import bp
from cbpar.api.responses import error, json_response
from cbpar.db import db
from cbpar.meetings import calendar, services
from cbpar.meetings.models import Meeting, MeetingStatus
from cbpar.projects.models import Project
from cbpar.security import Cap


def _minutes_state(meeting: Meeting) -> str:
    if meeting.minutes is None:
        return "none"
    return "approved" if meeting.minutes.approved else "draft"


def meeting_json(project: Project, meeting: Meeting, today: date) -> dict[str, Any]:
    local = services.to_local
    return {
        "id": meeting.id,
        "kind": meeting.kind.value,
        "title": meeting.title,
        "starts_at": local(meeting.starts_at, project).isoformat(),
        "ends_at": local(meeting.ends_at, project).isoformat() if meeting.ends_at else None,
        "timezone": project.timezone,
        "place": meeting.place,
        "village": meeting.village.name if meeting.village else None,
        "village_id": meeting.village_id,
        "agenda": meeting.agenda,
        "status": meeting.status.value,
        "attendance": services.participation(meeting).as_dict(),
        "minutes": _minutes_state(meeting),
        "decisions": [{"id": d.id, "text": d.text} for d in meeting.decisions],
        "action_items": [
            {
                "id": item.id,
                "what": item.what,
                "who": item.who,
                "due_on": item.due_on.isoformat() if item.due_on else None,
                "status": item.status.value,
                "overdue": item.overdue(today),
            }
            for item in meeting.action_items
        ],
        "version": meeting.version,
        "url": url_for(
            "meetings.meeting", slug=project.slug, meeting_id=meeting.id, _external=True
        ),
    }


@bp.route("/projects/<slug>/meetings", methods=["GET", "POST"])
@require(Cap.READ_MEETINGS, write=Cap.WRITE_MEETINGS)
def meetings(project: Project):
    """Every meeting of the project, newest first; `?status=` filters. POST plans one."""
    if request.method == "POST":
        # import here: meetings_write uses this module's JSON shapes
        from cbpar.api.meetings_write import create_meeting

        return create_meeting(project)
    raw = request.args.get("status")
    if raw is not None and raw not in set(MeetingStatus):
        return error("status", "status must be one of: " + ", ".join(MeetingStatus))
    status = MeetingStatus(raw) if raw else None
    query = services.with_details(services.meetings_query(project, status))
    rows = list(db.session.scalars(query))
    today = services.project_today(project)
    body = {
        "project": project.slug,
        "timezone": project.timezone,
        "count": len(rows),
        "meetings": [meeting_json(project, m, today) for m in rows],
    }
    return json_response(body, request, cache_control="no-store")


@bp.route("/projects/<slug>/meetings.ics")
@require(Cap.READ_MEETINGS)
def meetings_ics(project: Project):
    query = services.meetings_query(project)
    rows = [(project, m) for m in db.session.scalars(query)]
    return calendar.ics_response(calendar.meetings_ics(rows, name=project.name), project.slug)
