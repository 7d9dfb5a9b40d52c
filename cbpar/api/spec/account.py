"""The OpenAPI document: the caller (`/me`) and this document."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import BOOL, INT, STR, URL, Schema, arr, null, obj, op, ref

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
}


def paths() -> dict[str, Any]:
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
    }
