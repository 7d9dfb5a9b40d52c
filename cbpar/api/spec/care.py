"""The OpenAPI document: children and their contact logs (field roles only)."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    BOOL,
    CLIENT_ID,
    COUNT_OR_SMALL,
    DATE,
    INT,
    NUM,
    PAGING,
    SLUG,
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
    paged,
    path_id,
    query,
    ref,
)

TAG = "Services and care"
SEX = enum("girl", "boy")
PARENTS_AWAY = enum("none", "father", "mother", "both")
HOME_VISITS = enum(
    "unknown", "weekly", "monthly", "few_times_a_year", "spring_festival", "rarely", "not_away"
)
CAREGIVER = enum("parents", "grandparents", "other_relatives", "other")
CONTACT_KIND = enum("video_call", "phone_call", "home_visit", "teacher_visit", "talk")

PROGRAMME_KIND = enum(
    "after_school",
    "parenting",
    "peer_support",
    "casework",
    "family_calls",
    "home_visits",
    "activity",
)
TARGET = obj(
    {"kind": enum("family_call", "home_visit", "teacher_visit", "talk"), "every_days": INT}
)
ATTENDANCE = obj({"child_id": INT, "status": enum("present", "absent", "excused")})
HELPER = obj({"volunteer_id": INT, "hours": NUM})
VOLUNTEER_KIND = enum("volunteer_mother", "student_tutor", "teacher", "other")

CHILD_FIELDS: dict[str, Schema] = {
    "birth_year": INT,
    "birth_month": null(INT),
    "sex": SEX,
    "school": STR,
    "grade": STR,
    "parents_away": PARENTS_AWAY,
    "away_since": null(DATE),
    "home_visits": HOME_VISITS,
    "caregiver": CAREGIVER,
    "session_name": STR,
    "consent_on": null(DATE),
    "consent_given_by": STR,
    "assent_on": null(DATE),
}
CONTACT_FIELDS: dict[str, Schema] = {
    "kind": CONTACT_KIND,
    "on": DATE,
    "minutes": null(INT),
    "with": null(STR),
    "summary": null(STR),
    "issues": null(STR),
    "follow_up_on": null(DATE),
    "lat": null(NUM),
    "lon": null(NUM),
    "location_accuracy_m": null(NUM),
}

SCHEMAS: dict[str, Schema] = {
    "Child": obj(
        {
            "id": INT,
            "code": STR,
            "household_id": INT,
            "household_code": STR,
            "village_id": INT,
            **CHILD_FIELDS,
            "withdrawn": BOOL,
            "updated_at": TIME,
            "version": INT,
            "url": URL,
        },
        description="A child of a mapped household, known by its code. Field roles only.",
    ),
    "ChildInput": obj(
        {},
        {"household_id": INT, **CHILD_FIELDS, "client_id": CLIENT_ID, "version": VERSION_IN},
        description="Creating needs household_id, birth_year, sex, parents_away, caregiver, "
        "consent_on and consent_given_by (and assent_on from age 8).",
    ),
    "Contact": obj(
        {
            "id": INT,
            "child_id": INT,
            "kind": CONTACT_KIND,
            "on": DATE,
            "minutes": null(INT),
            "with": STR,
            "summary": STR,
            "issues": STR,
            "follow_up_on": null(DATE),
            "follow_up_done_on": null(DATE),
            "by": null(STR),
            "lat": null(NUM),
            "lon": null(NUM),
            "location_accuracy_m": null(NUM),
        }
    ),
    "ContactInput": obj({}, {**CONTACT_FIELDS, "client_id": CLIENT_ID}),
    "Programme": obj(
        {
            "id": INT,
            "name": STR,
            "kind": PROGRAMME_KIND,
            "village_id": null(INT),
            "facility_id": null(INT),
            "initiative_id": null(INT),
            "schedule": STR,
            "starts_on": null(DATE),
            "ends_on": null(DATE),
            "contact_targets": arr(TARGET),
            "version": INT,
        }
    ),
    "ProgrammeInput": obj(
        {"name": STR, "kind": PROGRAMME_KIND},
        {
            "village_id": null(INT),
            "facility_id": null(INT),
            "initiative_id": null(INT),
            "schedule": STR,
            "starts_on": null(DATE),
            "ends_on": null(DATE),
            "contact_targets": arr(TARGET),
            "client_id": CLIENT_ID,
        },
    ),
    "Enrolment": obj(
        {
            "id": INT,
            "programme_id": INT,
            "child_id": INT,
            "starts_on": DATE,
            "ends_on": null(DATE),
        }
    ),
    "EnrolmentInput": obj({"child_id": INT, "starts_on": DATE}, {"client_id": CLIENT_ID}),
    "Session": obj(
        {
            "id": INT,
            "programme_id": INT,
            "starts_at": TIME,
            "ends_at": null(TIME),
            "topic": STR,
            "attendance": arr(ATTENDANCE),
            "volunteers": arr(HELPER),
            "url": URL,
        }
    ),
    "SessionInput": obj(
        {"starts_at": TIME},
        {
            "ends_at": null(TIME),
            "place": STR,
            "facilitators": STR,
            "topic": STR,
            "notes": STR,
            "materials": STR,
            "guardians": INT,
            "attendance": arr(ATTENDANCE),
            "volunteers": arr(HELPER),
            "sheet_number": null(INT),
            "client_id": CLIENT_ID,
        },
        description="Children not listed in `attendance` are not recorded; only children "
        "enrolled on the session's day may be listed.",
    ),
    "Volunteer": obj(
        {
            "id": INT,
            "display_name": STR,
            "kind": VOLUNTEER_KIND,
            "village_id": null(INT),
            "active_from": null(DATE),
            "active_to": null(DATE),
        }
    ),
    "VolunteerInput": obj(
        {"display_name": STR},
        {
            "kind": VOLUNTEER_KIND,
            "village_id": null(INT),
            "active_from": null(DATE),
            "active_to": null(DATE),
            "client_id": CLIENT_ID,
        },
    ),
    "DiaryEntry": obj(
        {
            "id": INT,
            "volunteer_id": INT,
            "on": DATE,
            "services": INT,
            "hours": NUM,
            "session_id": null(INT),
            "memo_id": null(INT),
        },
        description="`memo_id`: the reflection, a team memo of kind reflection note.",
    ),
    "ServicesSummary": obj(
        {
            "from": DATE,
            "to": DATE,
            "sessions": INT,
            "children_reached": COUNT_OR_SMALL,
            "attendance_rate": null(NUM),
            "volunteer_hours": NUM,
            "contact_targets": arr(
                obj(
                    {
                        "kind": STR,
                        "every_days": INT,
                        "met": COUNT_OR_SMALL,
                        "enrolled": COUNT_OR_SMALL,
                    }
                )
            ),
            "by_village": arr(
                obj({"village_id": INT, "village": STR, "children_reached": COUNT_OR_SMALL})
            ),
            "by_month": arr(
                obj(
                    {
                        "month": STR,
                        "sessions": INT,
                        "children_reached": COUNT_OR_SMALL,
                        "volunteer_hours": NUM,
                    }
                )
            ),
        },
        description="Children reached: present at a session or contacted in the period. For "
        'committee members and observers counts of children from 1 to 4 are "<5", and one that '
        'the others would give away is "hidden".',
    ),
    "DiaryEntryInput": obj(
        {"on": DATE, "services": INT, "hours": NUM},
        {"reflection": STR, "session_id": null(INT), "client_id": CLIENT_ID},
    ),
}


def paths() -> dict[str, Any]:
    return {
        "/projects/{slug}/children": {
            "parameters": [SLUG],
            "get": op(
                TAG,
                "Children (field roles only)",
                paged("children", ref("Child")),
                params=[query("village", "A village id.", INT), *PAGING],
            ),
            "post": create_once(TAG, "Record a child (once per client_id)", "Child"),
        },
        "/children/{child_id}": {
            "parameters": [path_id("child_id")],
            "get": op(TAG, "One child", ref("Child")),
            "put": edit(TAG, "Edit a child (fields not sent are kept)", "Child"),
        },
        "/children/{child_id}/contacts": {
            "parameters": [path_id("child_id")],
            "get": op(
                TAG, "A child's contacts, newest first", obj({"contacts": arr(ref("Contact"))})
            ),
            "post": create_once(TAG, "Log a contact (once per client_id)", "Contact"),
        },
        "/projects/{slug}/programmes": {
            "parameters": [SLUG],
            "get": op(TAG, "Programmes", obj({"programmes": arr(ref("Programme"))})),
            "post": create_once(
                TAG, "Create a programme with its contact targets (once per client_id)", "Programme"
            ),
        },
        "/programmes/{programme_id}/enrolments": {
            "parameters": [path_id("programme_id")],
            "post": create_once(TAG, "Enrol a child (once per client_id)", "Enrolment"),
        },
        "/programmes/{programme_id}/sessions": {
            "parameters": [path_id("programme_id")],
            "post": create_once(
                TAG, "Record a session with attendance (once per client_id)", "Session"
            ),
        },
        "/projects/{slug}/volunteers": {
            "parameters": [SLUG],
            "get": op(TAG, "Volunteers", obj({"volunteers": arr(ref("Volunteer"))})),
            "post": create_once(TAG, "Add a volunteer (once per client_id)", "Volunteer"),
        },
        "/projects/{slug}/services/summary": {
            "parameters": [SLUG],
            "get": op(
                TAG,
                "Figures of services for a period (every member; small counts suppressed)",
                ref("ServicesSummary"),
                params=[
                    query("from", "First day, YYYY-MM-DD (default: 4 weeks ago).", DATE),
                    query("to", "Last day, YYYY-MM-DD (default: today).", DATE),
                ],
            ),
        },
        "/volunteers/{volunteer_id}/diary": {
            "parameters": [path_id("volunteer_id")],
            "post": create_once(
                TAG,
                "Add a service diary entry with its reflection (once per client_id)",
                "DiaryEntry",
            ),
        },
    }
