"""The OpenAPI document: the caller's notifications and notification settings."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    BOOL,
    INT,
    PAGING,
    STR,
    TIME,
    Schema,
    arr,
    enum,
    null,
    obj,
    op,
    paged,
    ref,
)

KINDS = (
    "vote_opened",
    "vote_closing",
    "vote_results",
    "meeting_planned",
    "meeting_changed",
    "meeting_cancelled",
    "minutes_to_approve",
    "minutes_approved",
    "action_assigned",
    "action_due",
    "action_overdue",
    "comment_reply",
    "need_status",
    "contacts_overdue",
    "followups_due",
    "reflection_waiting",
    "invitation_accepted",
    "import_finished",
    "import_failed",
    "backup_failed",
    "milestone_reached",
)
FREQUENCY = enum("immediate", "daily", "weekly", "never")

SCHEMAS: dict[str, Schema] = {
    "Notification": obj(
        {
            "id": INT,
            "kind": {**STR, "description": "What happened: " + ", ".join(KINDS) + "."},
            "project": {**null(STR), "description": "The project's slug (null: site-wide)."},
            "project_name": null(STR),
            "title": {**STR, "description": "A short subject in the caller's language."},
            "text": {**STR, "description": "One or two sentences in the caller's language."},
            "url": {**STR, "description": "The page it is about."},
            "created_at": TIME,
            "read": BOOL,
        }
    ),
    "NotificationList": paged("notifications", ref("Notification")),
    "MarkReadInput": {
        "type": "object",
        "description": 'Either `{"ids": [...]}` (ids that are not yours are ignored) or '
        '`{"all": true}`.',
        "properties": {"ids": arr(INT, maxItems=1000), "all": {"const": True}},
        "additionalProperties": False,
    },
    "MarkReadResult": obj({"marked": INT, "unread": INT}),
    "MeInput": {
        "type": "object",
        "properties": {
            "email": {
                **null(STR),
                "description": "A new address is used only after its confirmation link is "
                "opened (it is e-mailed to it); null or empty: no e-mail.",
            },
            "email_frequency": FREQUENCY,
            "locale": null(enum("en", "zh_Hans")),
        },
        "additionalProperties": False,
    },
    "MeSettings": obj(
        {
            "username": STR,
            "locale": null(STR),
            "email": {**null(STR), "description": "The confirmed address e-mail goes to."},
            "pending_email": {**null(STR), "description": "Waiting for confirmation."},
            "email_frequency": FREQUENCY,
        }
    ),
}


def paths() -> dict[str, Any]:
    return {
        "/me": {"patch": me_patch()},
        "/me/notifications": {
            "get": op(
                "Account",
                "The caller's notifications, unread first",
                ref("NotificationList"),
                params=PAGING,
                errors=("400", "401"),
            )
        },
        "/me/notifications/read": {
            "post": op(
                "Account",
                "Mark the caller's notifications read",
                ref("MarkReadResult"),
                body="MarkReadInput",
                errors=("400", "401"),
            )
        },
    }


def me_patch() -> dict[str, Any]:
    return op(
        "Account",
        "Change the caller's e-mail address, e-mail frequency or language",
        ref("MeSettings"),
        body="MeInput",
        errors=("400", "401"),
    )
