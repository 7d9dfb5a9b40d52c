"""The OpenAPI document: the needs register and vote rounds (tags Needs and Votes)."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    BOOL,
    CLIENT_ID,
    INT,
    SLUG,
    STR,
    TIME,
    URL,
    Schema,
    arr,
    content,
    enum,
    null,
    obj,
    op,
    path_id,
    ref,
)

SCHEMAS: dict[str, Schema] = {
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
}


def paths() -> dict[str, Any]:
    project = [SLUG]
    return {
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
            "parameters": [path_id("round_id")],
            "get": op("Votes", "A round and its turnout", ref("VoteRound"), etag=True),
        },
        "/votes/{round_id}/close": {
            "parameters": [path_id("round_id")],
            "post": op("Votes", "Close a round now", ref("VoteRound")),
        },
        "/votes/{round_id}/ballot": {
            "parameters": [path_id("round_id")],
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
                    "content": content(obj({}, {"ranking": arr(INT), "approve": arr(INT)})),
                }
            },
        },
        "/votes/{round_id}/results": {
            "parameters": [path_id("round_id")],
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
    }
