"""The OpenAPI document: memos and search."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    INT,
    SLUG,
    STR,
    TIME,
    URL,
    VERSION_IN,
    Schema,
    arr,
    edit,
    enum,
    null,
    obj,
    op,
    path_id,
    query,
    ref,
)

SCHEMAS: dict[str, Schema] = {
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
}


def paths() -> dict[str, Any]:
    project = [SLUG]
    return {
        "/projects/{slug}/memos": {
            "parameters": project,
            "get": op(
                "Memos",
                "Memos the caller may read, newest first",
                obj({"memos": arr(ref("Memo")), "count": INT}),
                params=[
                    query("tag", "Only memos with this tag."),
                    query("q", "Words to search for."),
                    query("limit", "At most this many (200).", INT),
                ],
            ),
            "post": op("Memos", "Write a memo", ref("Memo"), status="201", body="MemoInput"),
        },
        "/memos/{memo_id}": {
            "parameters": [path_id("memo_id")],
            "get": op("Memos", "One memo", ref("Memo")),
            "put": edit("Memos", "Edit a memo (fields not sent are kept)", "Memo"),
        },
        "/projects/{slug}/search": {
            "parameters": project,
            "get": op(
                "Memos",
                "Search memos, minutes and other records the caller may read",
                ref("SearchResults"),
                params=[query("q", "The words to search for (required).")],
            ),
        },
    }
