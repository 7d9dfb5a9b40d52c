"""The OpenAPI document: qualitative coding (the code book, codings, a code's passages)."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    BOOL,
    CLIENT_ID,
    INT,
    PAGING,
    SLUG,
    STR,
    TIME,
    URL,
    Schema,
    arr,
    create_once,
    enum,
    null,
    obj,
    op,
    path_id,
    ref,
)

COLOR: Schema = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$", "examples": ["#f2c94c"]}
SOURCE = enum("interview", "memo", "reflection", "minutes", "contact")
OFFSET: Schema = {
    "type": "integer",
    "minimum": 0,
    "description": "In Unicode code points of the source's stored text (Markdown or plain "
    "text, not HTML): Python's str indexes, or Array.from(text) in JavaScript.",
}

SCHEMAS: dict[str, Schema] = {
    "Code": obj(
        {
            "id": INT,
            "name": STR,
            "definition": STR,
            "example": STR,
            "color": COLOR,
            "parent_id": null(INT),
        },
        {
            "passages": {**INT, "description": "Passages on sources the caller may see."},
            "sources": INT,
        },
    ),
    "CodeList": obj({"codes": arr(ref("Code"))}),
    "CodeInput": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {**STR, "maxLength": 120},
            "definition": STR,
            "example": STR,
            "color": COLOR,
            "parent_id": null(INT),
            "client_id": CLIENT_ID,
        },
        "additionalProperties": False,
    },
    "Coding": obj(
        {
            "id": INT,
            "code_id": INT,
            "source": SOURCE,
            "source_id": INT,
            "start": OFFSET,
            "end": OFFSET,
            "text": {**STR, "description": "The passage, as it was when coded."},
            "note": STR,
            "changed": {
                **BOOL,
                "description": "The source's text changed and the passage was not found again.",
            },
            "coder": null(STR),
            "created_at": TIME,
        },
        {"source_title": STR, "source_date": null({"type": "string", "format": "date"})},
    ),
    "CodingInput": {
        "type": "object",
        "required": ["source", "source_id", "start", "end", "code_id"],
        "properties": {
            "source": SOURCE,
            "source_id": INT,
            "start": OFFSET,
            "end": {**OFFSET, "description": "One past the passage's last character."},
            "code_id": INT,
            "note": {**STR, "maxLength": 500},
            "client_id": CLIENT_ID,
        },
        "additionalProperties": False,
    },
    "Segment": {
        "allOf": [
            ref("Coding"),
            obj({"code": STR, "before": STR, "after": STR, "url": URL}),
        ]
    },
    "SegmentList": obj(
        {
            "segments": arr(ref("Segment")),
            "count": INT,
            "page": INT,
            "per_page": INT,
            "pages": INT,
            "total": INT,
        }
    ),
}


def paths() -> dict[str, Any]:
    return {
        "/projects/{slug}/codes": {
            "parameters": [SLUG],
            "get": op(
                "Qualitative coding", "The code book, parents before children", ref("CodeList")
            ),
            "post": create_once("Qualitative coding", "Add a code", "Code"),
        },
        "/projects/{slug}/codings": {
            "parameters": [SLUG],
            "post": create_once(
                "Qualitative coding",
                "Code a passage of an interview, memo, minutes or contact summary",
                "Coding",
            ),
        },
        "/projects/{slug}/codes/{code_id}/segments": {
            "parameters": [SLUG, path_id("code_id")],
            "get": op(
                "Qualitative coding",
                "The passages of a code and of its children, on sources the caller may see",
                ref("SegmentList"),
                params=PAGING[:1],
            ),
        },
    }
