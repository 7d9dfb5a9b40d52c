"""The OpenAPI document: meetings, attendance and minutes."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    BOOL,
    CLIENT_ID,
    DATE,
    INT,
    SLUG,
    STALE,
    STR,
    TIME,
    URL,
    VERSION_IN,
    Schema,
    arr,
    create_once,
    edit,
    enum,
    null,
    obj,
    op,
    path_id,
    query,
    ref,
)

MEETING_INPUT: dict[str, Schema] = {
    "kind": enum("research_team", "community", "village_committee"),
    "title": STR,
    "starts_at": {
        "type": "string",
        "description": "Local time in the project's time zone (2024-05-01T09:00), or with an "
        "offset (2024-05-01T01:00:00Z).",
    },
    "ends_at": null(STR),
    "place": STR,
    "village_id": null(INT),
    "agenda": {"type": "string", "description": "Markdown."},
}

GUEST_ROLES = (
    "villager",
    "parent",
    "grandparent_caregiver",
    "teacher",
    "committee_member",
    "other",
)

SCHEMAS: dict[str, Schema] = {
    "Meeting": obj(
        {
            "id": INT,
            "kind": STR,
            "title": STR,
            "starts_at": TIME,
            "ends_at": null(TIME),
            "timezone": STR,
            "place": STR,
            "village": null(STR),
            "village_id": null(INT),
            "agenda": STR,
            "status": enum("planned", "held", "minutes_approved", "cancelled"),
            "attendance": ref("ParticipationSummary"),
            "minutes": enum("none", "draft", "approved"),
            "decisions": arr(obj({"id": INT, "text": STR})),
            "action_items": arr(
                obj(
                    {
                        "id": INT,
                        "what": STR,
                        "who": null(STR),
                        "due_on": null(DATE),
                        "status": STR,
                        "overdue": BOOL,
                    }
                )
            ),
            "version": INT,
            "url": URL,
        }
    ),
    "MeetingInput": obj({}, {**MEETING_INPUT, "client_id": CLIENT_ID, "version": VERSION_IN}),
    "ParticipationSummary": obj(
        {
            "members": INT,
            "guests": INT,
            "total": INT,
            "villagers": INT,
            "women": INT,
            "young_people": INT,
        }
    ),
    "Attendance": obj(
        {
            "meeting_id": INT,
            "members": arr(obj({"username": STR, "name": STR})),
            "guests": arr(
                obj(
                    {
                        "id": INT,
                        "name": null(STR),
                        "role": STR,
                        "gender": STR,
                        "age_group": null(STR),
                    }
                )
            ),
            "summary": ref("ParticipationSummary"),
        }
    ),
    "AttendanceInput": obj(
        {},
        {
            "members": arr(STR, description="Usernames of the members present (all of them)."),
            "guests": arr(
                obj(
                    {"role": enum(*GUEST_ROLES), "gender": enum("woman", "man", "other")},
                    {
                        "age_group": null(enum("under_18", "18_35", "36_59", "60_plus")),
                        "count": {"type": "integer", "minimum": 1, "default": 1},
                        "name": {"type": "string", "description": "Only for a group of one."},
                    },
                ),
                description="Every guest (replaces the list); unchanged guests keep their ids.",
            ),
        },
    ),
    "Minutes": obj(
        {
            "meeting_id": INT,
            "body": STR,
            "html": STR,
            "version": {"type": "integer", "description": "0 when there are no minutes yet."},
            "approved": BOOL,
            "approved_at": null(TIME),
            "revision": INT,
            "editable": BOOL,
        }
    ),
    "MinutesInput": obj(
        {"body": {"type": "string", "description": "Markdown."}, "version": VERSION_IN},
        {"reason": {"type": "string", "description": "Required once the minutes are approved."}},
    ),
}


def paths() -> dict[str, Any]:
    project = [SLUG]
    return {
        "/projects/{slug}/meetings": {
            "parameters": project,
            "get": op(
                "Meetings",
                "Meetings, newest first",
                obj(
                    {
                        "project": STR,
                        "timezone": STR,
                        "count": INT,
                        "meetings": arr(ref("Meeting")),
                    }
                ),
                params=[query("status", "Only meetings in this status.")],
                etag=True,
            ),
            "post": create_once("Meetings", "Plan a meeting (once per client_id)", "Meeting"),
        },
        "/projects/{slug}/meetings.ics": {
            "parameters": project,
            "get": op("Meetings", "The meetings as iCalendar", STR, media="text/calendar"),
        },
        "/meetings/{meeting_id}": {
            "parameters": [path_id("meeting_id")],
            "get": op("Meetings", "One meeting", ref("Meeting")),
            "put": edit("Meetings", "Edit a meeting (fields not sent are kept)", "Meeting"),
        },
        "/meetings/{meeting_id}/attendance": {
            "parameters": [path_id("meeting_id")],
            "get": op("Meetings", "Who took part", ref("Attendance")),
            "put": op(
                "Meetings",
                "Record who took part: members by username, guests by category",
                ref("Attendance"),
                body="AttendanceInput",
            ),
        },
        "/meetings/{meeting_id}/minutes": {
            "parameters": [path_id("meeting_id")],
            "get": op("Meetings", "The minutes", ref("Minutes")),
            "put": op(
                "Meetings",
                "Save the minutes (approval stays on the pages)",
                ref("Minutes"),
                body="MinutesInput",
                conflict=STALE + " Also: minutes of a cancelled meeting.",
            ),
        },
    }
