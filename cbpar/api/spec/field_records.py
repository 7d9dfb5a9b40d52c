"""The OpenAPI document: households, facilities and interviews."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    BOOL,
    CLIENT_ID,
    DATE,
    INT,
    NUM,
    ONCE,
    OTHER_KIND,
    PAGING,
    SLUG,
    STALE,
    STR,
    TIME,
    URL,
    VERSION_IN,
    Schema,
    create_once,
    created,
    edit,
    enum,
    null,
    obj,
    op,
    paged,
    path_id,
    query,
    ref,
)

HOUSEHOLD_FIELDS: dict[str, Schema] = {
    "village": STR,
    "village_id": INT,
    "lat": NUM,
    "lon": NUM,
    "location_accuracy_m": null(NUM),
    "members": INT,
    "children_under_6": INT,
    "children_6_17": INT,
    "left_behind_children": INT,
    "migrant_parents": enum("none", "father", "mother", "both", "unknown"),
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
    "location_accuracy_m": null(NUM),
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

SCHEMAS: dict[str, Schema] = {
    "Attachment": obj(
        {"id": INT, "filename": STR, "content_type": STR, "size": INT, "created_at": TIME}
    ),
    "AttachmentInput": obj(
        {"file": {"type": "string", "format": "binary"}}, {"client_id": CLIENT_ID}
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
}


def paths() -> dict[str, Any]:
    project = [SLUG]
    return {
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
                    query("village", "A village id.", INT),
                    query("migrant_parents", "none, father, mother, both or unknown."),
                    query("sort", "code (default) or another column."),
                    *PAGING,
                ],
            ),
            "post": create_once(
                "Field records", "Record a household (once per client_id)", "Household"
            ),
        },
        "/households/{household_id}": {
            "parameters": [path_id("household_id")],
            "get": op("Field records", "One household", ref("Household")),
            "put": edit(
                "Field records", "Edit a household (fields not sent are kept)", "Household"
            ),
        },
        "/projects/{slug}/facilities": {
            "parameters": project,
            "get": op(
                "Field records",
                "Facilities",
                paged("facilities", ref("Facility")),
                params=[
                    query("village", "A village id.", INT),
                    query("kind", "A kind of facility."),
                    query("status", "A status."),
                    query("sort", "name (default) or another column."),
                    *PAGING,
                ],
            ),
            "post": create_once(
                "Field records", "Record a facility (once per client_id)", "Facility"
            ),
        },
        "/facilities/{facility_id}": {
            "parameters": [path_id("facility_id")],
            "get": op("Field records", "One facility", ref("Facility")),
            "put": edit("Field records", "Edit a facility (fields not sent are kept)", "Facility"),
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
            "parameters": [path_id("interview_id")],
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
            "parameters": [path_id("interview_id")],
            "post": op(
                "Field records",
                "Record that consent was withdrawn: the content is hidden from then on",
                ref("Interview"),
            ),
        },
        "/interviews/{interview_id}/attachments": {
            "parameters": [path_id("interview_id")],
            "get": op(
                "Field records",
                "An interview's files (only while its content may be seen)",
                obj({"attachments": {"type": "array", "items": ref("Attachment")}}),
            ),
            "post": {
                **op(
                    "Field records",
                    "Attach a recording or a photo to an interview (once per client_id)",
                    ref("Attachment"),
                    also={
                        **created(ref("Attachment")),
                        "413": ("The file is larger than allowed.", ref("Error")),
                    },
                    description=ONCE + " The type is decided by the file's content; a"
                    " recording needs consent covering audio, a photo consent covering photos.",
                    conflict=OTHER_KIND,
                ),
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": ref("AttachmentInput")}},
                },
            },
        },
        "/contacts/{contact_id}/attachments": {
            "parameters": [path_id("contact_id")],
            "get": op(
                "Field records",
                "A contact's recordings and photos (field roles that see children only)",
                obj({"attachments": {"type": "array", "items": ref("Attachment")}}),
            ),
            "post": {
                **op(
                    "Field records",
                    "Attach a recording or a photo to a contact (once per client_id)",
                    ref("Attachment"),
                    also={
                        **created(ref("Attachment")),
                        "413": ("The file is larger than allowed.", ref("Error")),
                    },
                    description=ONCE + " The type is decided by the file's content: sound"
                    " recordings and photos only, while the child's consent stands.",
                    conflict=OTHER_KIND,
                ),
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": ref("AttachmentInput")}},
                },
            },
        },
    }
