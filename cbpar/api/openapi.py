"""The API's OpenAPI 3.1 document, at /api/v1/openapi.json, and a readable page, /api/v1/docs.

The document is built in Python, in `cbpar/api/spec/` (one module per group of endpoints,
each with its `SCHEMAS` and `paths()`), from the helpers in `spec/common.py`; it is assembled
here. Tests check that it is a valid OpenAPI 3.1 document, that every route under
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

from cbpar.access import public
from cbpar.api import bp
from cbpar.api.responses import json_response
from cbpar.api.spec import (
    account,
    care,
    field_records,
    initiatives,
    mapping,
    meetings,
    memos,
    needs,
    notifications,
    qda,
)
from cbpar.api.spec.common import Schema

VERSION = "1.0.0"
# In the document's order: components, then paths, keep the order they always had.
SCHEMA_PARTS = (
    account,
    memos,
    needs,
    field_records,
    meetings,
    initiatives,
    mapping,
    care,
    notifications,
    qda,
)
PATH_PARTS = (
    account,
    memos,
    needs,
    meetings,
    initiatives,
    mapping,
    field_records,
    care,
    notifications,
    qda,
)
SCHEMAS: dict[str, Schema] = {k: v for part in SCHEMA_PARTS for k, v in part.SCHEMAS.items()}


def paths() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in PATH_PARTS:
        for path, operations in part.paths().items():
            # A path's methods may come from two parts (GET /me and PATCH /me).
            merged.setdefault(path, {}).update(operations)
    return merged


TAGS = [
    {"name": "Account", "description": "The caller, and this document."},
    {"name": "Memos", "description": "Memos and search."},
    {"name": "Needs", "description": "The needs register."},
    {"name": "Votes", "description": "Vote rounds, ballots and results."},
    {"name": "Meetings", "description": "Meetings, attendance and minutes."},
    {"name": "Initiatives", "description": "Initiatives, funding and milestones."},
    {"name": "Map", "description": "GeoJSON and distance analyses."},
    {"name": "Field records", "description": "Households, facilities and interviews."},
    {"name": "Services and care", "description": "Children and their contact logs."},
    {"name": "Qualitative coding", "description": "The code book and coded passages."},
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
