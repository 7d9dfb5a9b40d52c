"""The API's OpenAPI 3.1 document, at /api/v1/openapi.json, and a readable page, /api/v1/docs.

The document is built here, in Python, from small schema helpers: one place per endpoint, next
to nothing else. Tests check that it is a valid OpenAPI 3.1 document, that every route under
/api/v1 is in it (and nothing else), and that every API answer the test suite sees matches
its schema (tests/api/schema_check.py). A new endpoint without its entry here fails them.

Both are public: documenting the API tells nothing about any project.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from flask import render_template, request

from cbpar.api import bp
from cbpar.api.responses import json_response
from cbpar.security import public

VERSION = "1.0.0"
Schema = dict[str, Any]

# --- schema helpers --------------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def null(schema: Schema) -> Schema:
    """The schema, or null."""
    if set(schema) == {"type"} or ("type" in schema and "$ref" not in schema):
        kind = schema["type"]
        return {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None, **kw) -> Schema:
    properties = {**required, **(optional or {})}
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    schema.update(kw)
    return schema


def arr(items: Schema, **kw: Any) -> Schema:
    return {"type": "array", "items": items, **kw}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
DATE: Schema = {"type": "string", "format": "date"}
TIME: Schema = {"type": "string", "format": "date-time"}
URL: Schema = {"type": "string", "format": "uri"}
DECIMAL: Schema = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["1200.50"]}
MONEY_IN: Schema = {"type": ["string", "number", "null"], "examples": ["1200.50"]}
FIGURE: Schema = {"type": ["string", "null"], "description": 'A decimal string, or "<5".'}
COUNT_OR_SMALL: Schema = {"type": ["integer", "string"], "description": 'A count, or "<5".'}
CLIENT_ID: Schema = {
    "type": "string",
    "format": "uuid",
    "description": "Made by the client; sending the same record twice creates it once.",
    "examples": ["0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f"],
}
VERSION_IN: Schema = {
    "type": "integer",
    "description": "The version this edit is based on; a stale one is answered 409.",
}


def paged(key: str, item: Schema) -> Schema:
    return obj(
        {
            key: arr(item),
            "count": INT,
            "page": INT,
            "per_page": INT,
            "pages": INT,
            "total": INT,
        }
    )


# --- components ------------------------------------------------------------------------------

HOUSEHOLD_FIELDS: dict[str, Schema] = {
    "village": STR,
    "village_id": INT,
    "lat": NUM,
    "lon": NUM,
    "members": INT,
    "children_under_6": INT,
    "children_6_17": INT,
    "left_behind_children": INT,
    "migrant_parents": enum("none", "father", "mother", "both"),
    "caregiver": STR,
    "visited_on": null(DATE),
    "consent_on": null(DATE),
    "consent_given_by": STR,
    "notes": STR,
}
FACILITY_FIELDS: dict[str, Schema] = {
    "name": STR,
    "kind": STR,
    "status": STR,
    "village": null(STR),
    "village_id": null(INT),
    "lat": NUM,
    "lon": NUM,
    "capacity": null(INT),
    "opened_on": null(DATE),
    "notes": STR,
}
INTERVIEW_FIELDS: dict[str, Schema] = {
    "kind": enum("key_informant", "family"),
    "held_on": DATE,
    "interviewee_role": STR,
    "language": STR,
    "consent_method": STR,
    "consent_given_by": STR,
    "guardian_consent": null(BOOL),
    "child_assent": STR,
    "consent_on": null(DATE),
    "covers_notes": BOOL,
    "covers_recording": BOOL,
    "notes": STR,
    "household_code": null(STR),
}
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
INITIATIVE_INPUT: dict[str, Schema] = {
    "title": STR,
    "description": {"type": "string", "description": "Markdown."},
    "status": enum("proposed", "planning", "fundraising", "in_progress", "completed", "cancelled"),
    "need_ids": arr(INT),
    "lead_username": null(STR),
    "lead_organisation": STR,
    "roles": {"anyOf": [arr(obj({"party": STR, "task": STR})), STR]},
    "budget_target": MONEY_IN,
    "currency": {"type": "string", "examples": ["CNY"]},
    "spent": MONEY_IN,
    "starts_on": null(DATE),
    "ends_on": null(DATE),
    "facility_id": null(INT),
    "opened_on": null(DATE),
}
CONTRIBUTION: Schema = obj(
    {
        "id": INT,
        "funder": STR,
        "funder_type": STR,
        "kind": enum("cash", "in_kind"),
        "amount": null(DECIMAL),
        "items": null(STR),
        "quantity": null(INT),
        "estimated_value": null(DECIMAL),
        "currency": STR,
        "status": enum("pledged", "received"),
        "date": null(DATE),
    }
)
MILESTONE: Schema = obj({"id": INT, "title": STR, "planned_on": null(DATE), "done_on": null(DATE)})
FEATURE_COLLECTION: Schema = obj(
    {"type": enum("FeatureCollection"), "features": arr(obj({"type": enum("Feature")}))}
)

GUEST_ROLES = (
    "villager",
    "parent",
    "grandparent_caregiver",
    "teacher",
    "committee_member",
    "other",
)

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        {"error": STR, "message": STR},
        {
            "parameter": {"type": "string", "description": "The field or parameter at fault."},
            "errors": {
                "type": "object",
                "description": "Every field's messages, when a form found problems.",
                "additionalProperties": arr(STR),
            },
        },
        description="Every error: `error` a short code, `message` for people.",
    ),
    "Conflict": obj(
        {"error": STR, "message": STR},
        {
            "your_version": INT,
            "current_version": null(INT),
            "current": {
                "type": ["object", "null"],
                "description": "The record as stored now (null when it was deleted).",
            },
        },
        description="409: saved by someone else since `your_version`, or not possible in the "
        "record's state; nothing of the request was saved.",
    ),
    "Me": obj(
        {
            "username": STR,
            "display_name": STR,
            "is_admin": BOOL,
            "locale": null(STR),
            "projects": arr(obj({"slug": STR, "name": STR, "role": STR, "url": URL})),
        }
    ),
    "Memo": obj(
        {
            "id": INT,
            "title": STR,
            "body": STR,
            "html": STR,
            "kind": STR,
            "visibility": STR,
            "tags": arr(STR),
            "version": INT,
            "author": null(STR),
            "created_at": TIME,
            "updated_at": TIME,
            "url": URL,
        }
    ),
    "MemoInput": obj(
        {},
        {
            "title": STR,
            "body": {"type": "string", "description": "Markdown."},
            "kind": STR,
            "visibility": enum("team", "community", "private"),
            "tags": arr(STR),
            "version": VERSION_IN,
        },
    ),
    "SearchResults": obj(
        {
            "query": STR,
            "hits": arr(obj({"type": STR, "id": INT, "title": STR, "url": STR, "snippet": STR})),
        }
    ),
    "Need": obj(
        {
            "id": INT,
            "title": STR,
            "status": STR,
            "category": STR,
            "villages": arr(STR),
            "url": URL,
        },
        {"description": STR, "village_ids": arr(INT)},
    ),
    "NeedInput": obj(
        {"title": STR},
        {
            "description": STR,
            "category": STR,
            "village_ids": arr(INT),
            "client_id": CLIENT_ID,
        },
    ),
    "VoteRound": obj(
        {
            "id": INT,
            "title": STR,
            "method": enum("borda", "schulze", "irv", "approval"),
            "state": STR,
            "opens_at": TIME,
            "closes_at": TIME,
            "closed_at": null(TIME),
            "eligible_roles": arr(STR),
            "paper_ballots": BOOL,
            "guest_sheets": INT,
            "approval_limit": null(INT),
            "meeting_id": null(INT),
            "options": arr(obj({"id": INT, "letter": STR, "title": STR})),
            "ballots_cast": INT,
            "turnout": {"type": "object"},
            "url": URL,
        }
    ),
    "VoteRoundInput": obj(
        {
            "title": STR,
            "method": enum("borda", "schulze", "irv", "approval"),
            "options": arr(INT, description="Need ids."),
            "opens_at": TIME,
            "closes_at": TIME,
        },
        {
            "description": STR,
            "eligible_roles": arr(STR),
            "paper_ballots": BOOL,
            "guest_sheets": INT,
            "approval_limit": null(INT),
            "meeting_id": null(INT),
        },
    ),
    "Household": obj(
        {"id": INT, "code": STR, "version": INT, "updated_at": TIME, "url": URL, **HOUSEHOLD_FIELDS}
    ),
    "HouseholdPoint": obj(
        {"village": STR, "lat": NUM, "lon": NUM},
        {"id": INT, "code": STR},
        description="A household as roles without household details see it.",
    ),
    "HouseholdInput": obj({}, {**HOUSEHOLD_FIELDS, "client_id": CLIENT_ID, "version": VERSION_IN}),
    "Facility": obj({"id": INT, "version": INT, "updated_at": TIME, "url": URL, **FACILITY_FIELDS}),
    "FacilityInput": obj({}, {**FACILITY_FIELDS, "client_id": CLIENT_ID, "version": VERSION_IN}),
    "Interview": obj(
        {
            "id": INT,
            "kind": STR,
            "held_on": DATE,
            "withdrawn": BOOL,
            "withdrawn_at": null(TIME),
            "erased": BOOL,
            "updated_at": TIME,
            "version": INT,
            "url": URL,
        },
        {**INTERVIEW_FIELDS, "interviewer": null(STR)},
        description="Once consent is withdrawn only the fields that are always present remain.",
    ),
    "InterviewInput": obj({}, {**INTERVIEW_FIELDS, "client_id": CLIENT_ID, "version": VERSION_IN}),
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
    "Initiative": obj(
        {
            "id": INT,
            "title": STR,
            "description": STR,
            "status": STR,
            "needs": arr(obj({"id": INT, "title": STR})),
            "lead": null(STR),
            "roles": arr(obj({"party": STR, "task": STR})),
            "budget_target": null(DECIMAL),
            "currency": STR,
            "spent": null(DECIMAL),
            "starts_on": null(DATE),
            "ends_on": null(DATE),
            "facility_id": null(INT),
            "pledged": null(DECIMAL),
            "received": null(DECIMAL),
            "pledged_by_currency": {"type": "object", "additionalProperties": DECIMAL},
            "received_by_currency": {"type": "object", "additionalProperties": DECIMAL},
            "in_kind": arr({"type": "object"}),
            "in_kind_value_by_currency": {"type": "object", "additionalProperties": DECIMAL},
            "contributions": arr(ref("Contribution")),
            "milestones": arr(ref("Milestone")),
            "indicators": arr(
                obj(
                    {
                        "id": INT,
                        "name": STR,
                        "unit": STR,
                        "source": STR,
                        "baseline": FIGURE,
                        "target": FIGURE,
                        "current": FIGURE,
                        "baseline_as_of": null(DATE),
                        "current_as_of": null(DATE),
                    }
                )
            ),
            "version": INT,
            "url": URL,
        }
    ),
    "InitiativeInput": obj({}, {**INITIATIVE_INPUT, "client_id": CLIENT_ID, "version": VERSION_IN}),
    "Contribution": CONTRIBUTION,
    "ContributionCreated": {"allOf": [CONTRIBUTION, obj({"initiative_id": INT})]},
    "ContributionInput": obj(
        {"kind": enum("cash", "in_kind"), "status": enum("pledged", "received")},
        {
            "funder_id": INT,
            "funder": {"type": "string", "description": "The name of a funder of the project."},
            "amount": MONEY_IN,
            "currency": STR,
            "items": STR,
            "quantity": null(INT),
            "estimated_value": MONEY_IN,
            "pledged_on": null(DATE),
            "received_on": null(DATE),
            "note": STR,
            "client_id": CLIENT_ID,
        },
    ),
    "Milestone": MILESTONE,
    "MilestoneCreated": {"allOf": [MILESTONE, obj({"initiative_id": INT})]},
    "MilestoneInput": obj(
        {"title": STR},
        {
            "planned_on": null(DATE),
            "done_on": null(DATE),
            "note": STR,
            "memo_id": null(INT),
            "client_id": CLIENT_ID,
        },
    ),
    "FeatureCollection": FEATURE_COLLECTION,
    "Accessibility": obj(
        {
            "kind": STR,
            "within_km": {"type": ["number", "string"]},
            "as_of": DATE,
            "households": COUNT_OR_SMALL,
            "by_village": arr({"type": "object"}),
            "histogram": arr({"type": "object"}),
            "candidates": arr({"type": "object"}),
        },
        {"small_numbers_suppressed": BOOL},
    ),
    "AccessibilityPoints": obj(
        {
            "within_km": NUM,
            "facilities": arr(obj({"id": INT, "name": STR, "lat": NUM, "lon": NUM})),
            "households": null(arr(arr({"type": ["number", "null"]}))),
        }
    ),
}


# --- paths -----------------------------------------------------------------------------------

ERRORS = {
    "400": "Bad request: `parameter` names the field or parameter.",
    "401": "Not logged in, and no valid bearer token.",
    "403": "The caller's role in this project does not allow this.",
    "404": "Not found, or not shared with the caller.",
}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": STR}
PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
    },
]


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": INT}


def _q(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or STR}


def _content(schema: Schema, media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": schema}}


def op(
    tag: str,
    summary: str,
    ok: Schema | None,
    *,
    status: str = "200",
    media: str = "application/json",
    body: str | None = None,
    params: list[dict[str, Any]] | None = None,
    also: dict[str, tuple[str, Schema | None]] | None = None,
    conflict: str | None = None,
    etag: bool = False,
    errors: tuple[str, ...] = ("400", "401", "403", "404"),
    description: str = "",
    security: list | None = None,
) -> dict[str, Any]:
    """One operation: its success answer, the error answers every endpoint may give, extras."""
    responses: dict[str, Any] = {}
    if ok is None:
        responses[status] = {"description": "OK"}
    else:
        responses[status] = {"description": "OK", "content": _content(ok, media)}
    for code, (text, schema) in (also or {}).items():
        responses[code] = {"description": text}
        if schema is not None:
            responses[code]["content"] = _content(schema)
    if etag:
        responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)."}
    for code in errors:
        responses[code] = {"description": ERRORS[code], "content": _content(ref("Error"))}
    if conflict:
        responses["409"] = {"description": conflict, "content": _content(ref("Conflict"))}
    operation: dict[str, Any] = {"tags": [tag], "summary": summary, "responses": responses}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {"required": True, "content": _content(ref(body))}
    if security is not None:
        operation["security"] = security
    return operation


def created(schema: Schema) -> dict[str, tuple[str, Schema]]:
    return {"201": ("Created; `Location` names the new record.", schema)}


STALE = "Stale `version`: someone saved since; `current` is the stored record."
ONCE = "Already made with this `client_id`: the stored record, nothing new."


def paths() -> dict[str, Any]:
    project = [SLUG]
    return {
        "/me": {"get": op("Account", "The caller and their projects", ref("Me"))},
        "/openapi.json": {
            "get": op(
                "Account",
                "This document",
                {"type": "object"},
                errors=(),
                security=[],
                etag=True,
            )
        },
        "/docs": {
            "get": op(
                "Account",
                "This document as a readable page",
                STR,
                media="text/html",
                errors=(),
                security=[],
            )
        },
        # memos and search
        "/projects/{slug}/memos": {
            "parameters": project,
            "get": op(
                "Memos",
                "Memos the caller may read, newest first",
                obj({"memos": arr(ref("Memo")), "count": INT}),
                params=[
                    _q("tag", "Only memos with this tag."),
                    _q("q", "Words to search for."),
                    _q("limit", "At most this many (200).", INT),
                ],
            ),
            "post": op("Memos", "Write a memo", ref("Memo"), status="201", body="MemoInput"),
        },
        "/memos/{memo_id}": {
            "parameters": [_id("memo_id")],
            "get": op("Memos", "One memo", ref("Memo")),
            "put": op(
                "Memos",
                "Edit a memo (fields not sent are kept)",
                ref("Memo"),
                body="MemoInput",
                conflict=STALE,
            ),
        },
        "/projects/{slug}/search": {
            "parameters": project,
            "get": op(
                "Memos",
                "Search memos, minutes and other records the caller may read",
                ref("SearchResults"),
                params=[_q("q", "The words to search for (required).")],
            ),
        },
        # needs and votes
        "/projects/{slug}/needs": {
            "parameters": project,
            "get": op(
                "Needs",
                "The needs register",
                obj({"needs": arr(ref("Need")), "count": INT}),
                etag=True,
            ),
            "post": op(
                "Needs",
                "Propose a need (once per client_id)",
                ref("Need"),
                body="NeedInput",
                also={"201": ("Proposed.", ref("Need"))},
                description="Answers 200 with the stored need when the client_id was seen.",
                conflict="The client_id was used for another kind of record.",
            ),
        },
        "/projects/{slug}/votes": {
            "parameters": project,
            "get": op(
                "Votes",
                "Vote rounds",
                obj(
                    {
                        "votes": arr(obj({"id": INT, "title": STR, "method": STR, "state": STR})),
                        "count": INT,
                    }
                ),
                etag=True,
            ),
            "post": op(
                "Votes",
                "Create a vote round",
                ref("VoteRound"),
                status="201",
                body="VoteRoundInput",
            ),
        },
        "/votes/{round_id}": {
            "parameters": [_id("round_id")],
            "get": op("Votes", "A round and its turnout", ref("VoteRound"), etag=True),
        },
        "/votes/{round_id}/close": {
            "parameters": [_id("round_id")],
            "post": op("Votes", "Close a round now", ref("VoteRound")),
        },
        "/votes/{round_id}/ballot": {
            "parameters": [_id("round_id")],
            "post": op(
                "Votes",
                "Cast a ballot",
                obj({"receipt": STR, "round": INT}),
                status="201",
                body=None,
                conflict="The round is not open, or the caller took a paper sheet.",
                description='Send {"ranking": [need ids]}, or {"approve": [need ids]} for '
                "approval voting.",
            )
            | {
                "requestBody": {
                    "required": True,
                    "content": _content(obj({}, {"ranking": arr(INT), "approve": arr(INT)})),
                }
            },
        },
        "/votes/{round_id}/results": {
            "parameters": [_id("round_id")],
            "get": op(
                "Votes",
                "Results, once the round is closed",
                obj(
                    {
                        "method": STR,
                        "ranking": arr({}),
                        "ballots_cast": INT,
                        "details": {},
                        "by_method": {"type": "object"},
                    }
                ),
                etag=True,
                conflict="Not closed yet.",
            ),
        },
        # meetings
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
                params=[_q("status", "Only meetings in this status.")],
                etag=True,
            ),
            "post": op(
                "Meetings",
                "Plan a meeting (once per client_id)",
                ref("Meeting"),
                body="MeetingInput",
                also=created(ref("Meeting")),
                description=ONCE,
                conflict="The client_id was used for another kind of record.",
            ),
        },
        "/projects/{slug}/meetings.ics": {
            "parameters": project,
            "get": op("Meetings", "The meetings as iCalendar", STR, media="text/calendar"),
        },
        "/meetings/{meeting_id}": {
            "parameters": [_id("meeting_id")],
            "get": op("Meetings", "One meeting", ref("Meeting")),
            "put": op(
                "Meetings",
                "Edit a meeting (fields not sent are kept)",
                ref("Meeting"),
                body="MeetingInput",
                conflict=STALE,
            ),
        },
        "/meetings/{meeting_id}/attendance": {
            "parameters": [_id("meeting_id")],
            "get": op("Meetings", "Who took part", ref("Attendance")),
            "put": op(
                "Meetings",
                "Record who took part: members by username, guests by category",
                ref("Attendance"),
                body="AttendanceInput",
            ),
        },
        "/meetings/{meeting_id}/minutes": {
            "parameters": [_id("meeting_id")],
            "get": op("Meetings", "The minutes", ref("Minutes")),
            "put": op(
                "Meetings",
                "Save the minutes (approval stays on the pages)",
                ref("Minutes"),
                body="MinutesInput",
                conflict=STALE + " Also: minutes of a cancelled meeting.",
            ),
        },
        # initiatives
        "/projects/{slug}/initiatives": {
            "parameters": project,
            "get": op(
                "Initiatives",
                "Initiatives with funding, milestones and indicators",
                obj({"initiatives": arr(ref("Initiative"))}),
                etag=True,
            ),
            "post": op(
                "Initiatives",
                "Create an initiative (once per client_id)",
                ref("Initiative"),
                body="InitiativeInput",
                also=created(ref("Initiative")),
                description=ONCE,
                conflict="The client_id was used for another kind of record.",
            ),
        },
        "/initiatives/{initiative_id}": {
            "parameters": [_id("initiative_id")],
            "get": op("Initiatives", "One initiative", ref("Initiative")),
            "put": op(
                "Initiatives",
                "Edit an initiative (fields not sent are kept)",
                ref("Initiative"),
                body="InitiativeInput",
                conflict=STALE,
            ),
        },
        "/initiatives/{initiative_id}/contributions": {
            "parameters": [_id("initiative_id")],
            "post": op(
                "Initiatives",
                "Record a contribution (once per client_id)",
                ref("ContributionCreated"),
                body="ContributionInput",
                also=created(ref("ContributionCreated")),
                description=ONCE,
                conflict="The client_id was used for another kind of record.",
            ),
        },
        "/initiatives/{initiative_id}/milestones": {
            "parameters": [_id("initiative_id")],
            "post": op(
                "Initiatives",
                "Add a milestone (once per client_id)",
                ref("MilestoneCreated"),
                body="MilestoneInput",
                also=created(ref("MilestoneCreated")),
                description=ONCE,
                conflict="The client_id was used for another kind of record.",
            ),
        },
        # mapping
        "/projects/{slug}/households.geojson": {
            "parameters": project,
            "get": op(
                "Map",
                "Household points, as the caller's role may see them",
                ref("FeatureCollection"),
                media="application/geo+json",
                params=[_q("bbox", "minLon,minLat,maxLon,maxLat in degrees.")],
                etag=True,
            ),
        },
        "/projects/{slug}/facilities.geojson": {
            "parameters": project,
            "get": op(
                "Map",
                "Facilities",
                ref("FeatureCollection"),
                media="application/geo+json",
                etag=True,
            ),
        },
        "/projects/{slug}/villages.geojson": {
            "parameters": project,
            "get": op(
                "Map",
                "Village centres with totals",
                ref("FeatureCollection"),
                media="application/geo+json",
                etag=True,
            ),
        },
        "/projects/{slug}/accessibility": {
            "parameters": project,
            "get": op(
                "Map",
                "How many live beyond a distance from a kind of facility",
                ref("Accessibility"),
                params=ACCESS_PARAMS,
                etag=True,
            ),
        },
        "/projects/{slug}/accessibility/points": {
            "parameters": project,
            "get": op(
                "Map",
                "Counted facilities and each household's distance",
                ref("AccessibilityPoints"),
                params=ACCESS_PARAMS,
                etag=True,
            ),
        },
        "/projects/{slug}/households": {
            "parameters": project,
            "get": op(
                "Field records",
                "Households (all fields for the field team; points for the committee)",
                {
                    "anyOf": [
                        paged("households", ref("Household")),
                        paged("households", ref("HouseholdPoint")),
                    ]
                },
                params=[
                    _q("village", "A village id.", INT),
                    _q("migrant_parents", "none, father, mother or both."),
                    _q("sort", "code (default) or another column."),
                    *PAGING,
                ],
            ),
            "post": op(
                "Field records",
                "Record a household (once per client_id)",
                ref("Household"),
                body="HouseholdInput",
                also=created(ref("Household")),
                description=ONCE,
                conflict="The client_id was used for another kind of record.",
            ),
        },
        "/households/{household_id}": {
            "parameters": [_id("household_id")],
            "get": op("Field records", "One household", ref("Household")),
            "put": op(
                "Field records",
                "Edit a household (fields not sent are kept)",
                ref("Household"),
                body="HouseholdInput",
                conflict=STALE,
            ),
        },
        "/projects/{slug}/facilities": {
            "parameters": project,
            "get": op(
                "Field records",
                "Facilities",
                paged("facilities", ref("Facility")),
                params=[
                    _q("village", "A village id.", INT),
                    _q("kind", "A kind of facility."),
                    _q("status", "A status."),
                    _q("sort", "name (default) or another column."),
                    *PAGING,
                ],
            ),
            "post": op(
                "Field records",
                "Record a facility (once per client_id)",
                ref("Facility"),
                body="FacilityInput",
                also=created(ref("Facility")),
                description=ONCE,
                conflict="The client_id was used for another kind of record.",
            ),
        },
        "/facilities/{facility_id}": {
            "parameters": [_id("facility_id")],
            "get": op("Field records", "One facility", ref("Facility")),
            "put": op(
                "Field records",
                "Edit a facility (fields not sent are kept)",
                ref("Facility"),
                body="FacilityInput",
                conflict=STALE,
            ),
        },
        "/projects/{slug}/interviews": {
            "parameters": project,
            "get": op(
                "Field records",
                "Interviews the caller may see",
                paged("interviews", ref("Interview")),
                params=PAGING,
            ),
            "post": op(
                "Field records",
                "Record an interview with its consent (once per client_id)",
                ref("Interview"),
                body="InterviewInput",
                also=created(ref("Interview")),
                description=ONCE + " The consent rules are the page's.",
                conflict="The client_id was used for another kind of record.",
            ),
        },
        "/interviews/{interview_id}": {
            "parameters": [_id("interview_id")],
            "get": op("Field records", "One interview", ref("Interview")),
            "put": op(
                "Field records",
                "Edit an interview (fields not sent are kept)",
                ref("Interview"),
                body="InterviewInput",
                conflict=STALE + " Also: consent was withdrawn.",
            ),
        },
        "/interviews/{interview_id}/withdraw": {
            "parameters": [_id("interview_id")],
            "post": op(
                "Field records",
                "Record that consent was withdrawn: the content is hidden from then on",
                ref("Interview"),
            ),
        },
    }


ACCESS_PARAMS = [
    _q("kind", "The kind of facility, e.g. kindergarten."),
    _q("within_km", "The distance in km.", NUM),
    _q("as_of", "Count facilities open on this date.", DATE),
    _q("candidates", "What-if sites: lat,lon;lat,lon"),
]

TAGS = [
    {"name": "Account", "description": "The caller, and this document."},
    {"name": "Memos", "description": "Memos and search."},
    {"name": "Needs", "description": "The needs register."},
    {"name": "Votes", "description": "Vote rounds, ballots and results."},
    {"name": "Meetings", "description": "Meetings, attendance and minutes."},
    {"name": "Initiatives", "description": "Initiatives, funding and milestones."},
    {"name": "Map", "description": "GeoJSON and distance analyses."},
    {"name": "Field records", "description": "Households, facilities and interviews."},
]

DESCRIPTION = """\
The JSON API of CBPAR Workspace: the same records, permissions and checks as the pages.

Authenticate with a bearer token made on your profile page (`Authorization: Bearer TOKEN`),
or with the browser's session cookie (then writing requests need the CSRF token in the
`X-CSRFToken` header). Each role sees and changes what it may on the pages, nothing more.

Writing: a POST may carry a `client_id` (a UUID the client makes): sending the same record
twice creates it once (the second answer is 200 with the stored record). A PUT sends the
`version` it is based on; when someone saved since, the answer is 409 with the stored record
and nothing is overwritten. Validation problems are 400 with `parameter` (the first field at
fault), `message` and `errors` (every field's messages). Amounts are decimal strings.
"""


@lru_cache(maxsize=1)
def _spec_text() -> str:
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "CBPAR Workspace API", "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "tags": TAGS,
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from your profile page.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The browser's log-in; writing requests also need "
                    "the X-CSRFToken header.",
                },
            },
        },
    }
    return json.dumps(spec, ensure_ascii=False, sort_keys=False)


def spec() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(json.loads(_spec_text()))


@bp.route("/openapi.json")
@public
def openapi_json():
    return json_response(json.loads(_spec_text()), request, cache_control="public, max-age=300")


# --- the readable page -----------------------------------------------------------------------

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(document: dict[str, Any], schema: Any) -> Any:
    if isinstance(schema, dict) and "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def type_text(schema: Any) -> str:
    """A schema in a few words: "string (date)", "array of Meeting", "Household or null"."""
    if not isinstance(schema, dict) or not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            joiner = " and " if key == "allOf" else " or "
            return joiner.join(type_text(s) for s in schema[key])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for k in kinds:
        if k == "array":
            words.append(f"array of {type_text(schema.get('items'))}")
        elif k == "string" and "enum" in schema:
            words.append(" | ".join(schema["enum"]))
        elif k == "string" and "format" in schema:
            words.append(f"string ({schema['format']})")
        else:
            words.append(str(k))
    return " or ".join(words)


def fields_of(document: dict[str, Any], schema: Any) -> list[dict[str, Any]]:
    """The top-level fields of an object schema, for a table."""
    schema = _resolve(document, schema)
    if not isinstance(schema, dict):
        return []
    if "allOf" in schema:
        return [row for part in schema["allOf"] for row in fields_of(document, part)]
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_text(prop),
            "required": name in required,
            "description": prop.get("description", "") if isinstance(prop, dict) else "",
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def page_model(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Operations grouped by tag, in the document's order, each ready for the template."""
    groups: dict[str, list[dict[str, Any]]] = {t["name"]: [] for t in document["tags"]}
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            responses = []
            for code, answer in operation["responses"].items():
                media, content = next(iter(answer.get("content", {}).items()), (None, None))
                schema = content["schema"] if content else None
                responses.append(
                    {
                        "status": code,
                        "description": answer.get("description", ""),
                        "media": media,
                        "type": type_text(schema) if schema else "",
                    }
                )
            groups[operation["tags"][0]].append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": "/api/v1" + path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "public": operation.get("security") == [],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "type": type_text(p.get("schema")),
                            "description": p.get("description", ""),
                        }
                        for p in [*shared, *operation.get("parameters", [])]
                    ],
                    "body": type_text(body["schema"]) if body else None,
                    "body_fields": fields_of(document, body["schema"]) if body else [],
                    "responses": responses,
                }
            )
    return [
        {"name": t["name"], "description": t["description"], "operations": groups[t["name"]]}
        for t in document["tags"]
        if groups[t["name"]]
    ]


EXAMPLE_PUT = {"version": 3, "title": "Kindergarten planning, second meeting"}


@bp.route("/docs")
@public
def docs():
    document = spec()
    schemas = [
        {"name": name, "fields": fields_of(document, schema), "type": type_text(schema)}
        for name, schema in document["components"]["schemas"].items()
    ]
    html = render_template(
        "api/docs.html",
        info=document["info"],
        groups=page_model(document),
        schemas=schemas,
        example_post=json.dumps(
            {
                "client_id": "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f",
                "kind": "community",
                "title": "Kindergarten planning",
                "starts_at": "2024-05-01T09:00",
            },
            indent=2,
            ensure_ascii=False,
        ),
        example_put=json.dumps(EXAMPLE_PUT, indent=2, ensure_ascii=False),
        example_error=json.dumps(
            {
                "error": "bad_request",
                "parameter": "title",
                "message": "title: This field is required.",
                "errors": {"title": ["This field is required."]},
            },
            indent=2,
        ),
        example_conflict=json.dumps(
            {
                "error": "conflict",
                "message": "The meeting was changed since that version; nothing was overwritten.",
                "your_version": 3,
                "current_version": 4,
                "current": {"id": 12, "version": 4, "title": "…"},
            },
            indent=2,
            ensure_ascii=False,
        ),
    )
    return html
