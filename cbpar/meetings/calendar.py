"""Meetings as calendar events: what goes into each VEVENT, and the .ics response."""

from __future__ import annotations

from flask import Response, url_for

from cbpar.meetings import ical
from cbpar.meetings.models import Meeting, MeetingStatus
from cbpar.projects.models import Project

ICS_MIMETYPE = "text/calendar"


def _status(meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.CANCELLED:
        return "CANCELLED"
    return "CONFIRMED"


def event_for(project: Project, meeting: Meeting) -> ical.Event:
    """Agenda as the description (plain Markdown text); no minutes: calendars are shared widely."""
    place = ", ".join(
        p for p in (meeting.place, meeting.village.name if meeting.village else "") if p
    )
    description = f"{meeting.kind.label} · {project.name}"
    if meeting.agenda:
        description += "\n\n" + meeting.agenda
    return ical.Event(
        uid=meeting.ical_uid,
        start=meeting.starts_at,
        end=meeting.ends_at,
        summary=meeting.title,
        description=description,
        location=place,
        url=url_for("meetings.meeting", slug=project.slug, meeting_id=meeting.id, _external=True),
        status=_status(meeting),
        last_modified=meeting.updated_at,
        timezone=project.timezone,
    )


def meetings_ics(rows: list[tuple[Project, Meeting]], name: str = "") -> str:
    return ical.calendar((event_for(project, meeting) for project, meeting in rows), name=name)


def ics_response(body: str, filename: str) -> Response:
    response = Response(body.encode("utf-8"), mimetype=ICS_MIMETYPE)
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response
