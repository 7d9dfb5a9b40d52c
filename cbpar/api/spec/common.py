"""What every part of the OpenAPI document is built from: schema helpers, shared field
schemas, parameters, and `op`, one operation with the answers every endpoint may give."""

from __future__ import annotations

from typing import Any

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


def path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": INT}


def query(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or STR}


def content(schema: Schema, media: str = "application/json") -> dict[str, Any]:
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
        responses[status] = {"description": "OK", "content": content(ok, media)}
    for code, (text, schema) in (also or {}).items():
        responses[code] = {"description": text}
        if schema is not None:
            responses[code]["content"] = content(schema)
    if etag:
        responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)."}
    for code in errors:
        responses[code] = {"description": ERRORS[code], "content": content(ref("Error"))}
    if conflict:
        responses["409"] = {"description": conflict, "content": content(ref("Conflict"))}
    operation: dict[str, Any] = {"tags": [tag], "summary": summary, "responses": responses}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {"required": True, "content": content(ref(body))}
    if security is not None:
        operation["security"] = security
    return operation


def created(schema: Schema) -> dict[str, tuple[str, Schema]]:
    return {"201": ("Created; `Location` names the new record.", schema)}


STALE = "Stale `version`: someone saved since; `current` is the stored record."
ONCE = "Already made with this `client_id`: the stored record, nothing new."
OTHER_KIND = "The client_id was used for another kind of record."


def create_once(tag: str, summary: str, name: str, **kw: Any) -> dict[str, Any]:
    """POST that creates a record once per client_id: 201 with it, 200 when already made."""
    return op(
        tag,
        summary,
        ref(name),
        body=f"{name}Input",
        also=created(ref(name)),
        description=ONCE,
        conflict=OTHER_KIND,
        **kw,
    )


def edit(tag: str, summary: str, name: str, **kw: Any) -> dict[str, Any]:
    """PUT of a versioned record: 409 with the stored record on a stale `version`."""
    return op(tag, summary, ref(name), body=f"{name}Input", conflict=STALE, **kw)
