"""The OpenAPI document: initiatives, funding and milestones."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    CLIENT_ID,
    DATE,
    DECIMAL,
    FIGURE,
    INT,
    MONEY_IN,
    ONCE,
    SLUG,
    STR,
    URL,
    VERSION_IN,
    Schema,
    arr,
    create_once,
    created,
    edit,
    enum,
    null,
    obj,
    op,
    path_id,
    ref,
)

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

SCHEMAS: dict[str, Schema] = {
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
                        "village_id": null(INT),
                        "village": null(STR),
                        "service_measure": null(STR),
                        "programme_id": null(INT),
                        "period_days": null(INT),
                        "description": null(STR),
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
}


def paths() -> dict[str, Any]:
    project = [SLUG]
    return {
        "/projects/{slug}/initiatives": {
            "parameters": project,
            "get": op(
                "Initiatives",
                "Initiatives with funding, milestones and indicators",
                obj({"initiatives": arr(ref("Initiative"))}),
                etag=True,
            ),
            "post": create_once(
                "Initiatives", "Create an initiative (once per client_id)", "Initiative"
            ),
        },
        "/initiatives/{initiative_id}": {
            "parameters": [path_id("initiative_id")],
            "get": op("Initiatives", "One initiative", ref("Initiative")),
            "put": edit(
                "Initiatives", "Edit an initiative (fields not sent are kept)", "Initiative"
            ),
        },
        "/initiatives/{initiative_id}/contributions": {
            "parameters": [path_id("initiative_id")],
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
            "parameters": [path_id("initiative_id")],
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
    }
