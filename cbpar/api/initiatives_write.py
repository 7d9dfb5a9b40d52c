"""Initiative endpoints of the JSON API that change things, with the pages' forms and rules.

- ``POST /projects/<slug>/initiatives``: create (InitiativeForm; `edit_initiatives`), once per
  client_id.
- ``GET|PUT /initiatives/<id>``: one initiative; PUT is based on its `version` (409 when
  stale). Fields not sent keep their stored values.
- ``POST /initiatives/<id>/contributions``: record a contribution (ContributionForm): a
  `funder_id`, or `funder`, the name of a funder of the project (add new funders on the
  funders page).
- ``POST /initiatives/<id>/milestones``: add a milestone (MilestoneForm), optionally with a
  memo as evidence (`memo_id`).

`roles` is a list of {"party", "task"} (or the page's text, "party: task" per line);
`lead_username` names a member as the lead (the page's "Lead (a member)"). Amounts are
decimal strings such as "1200.50" (numbers are accepted too).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require_login
from cbpar.api import bp, idempotency
from cbpar.api.initiatives import contribution_json, initiative_json, milestone_json
from cbpar.api.writing import (
    answer,
    bad_request,
    check_fields,
    json_body,
    member_project,
    save_or_conflict,
    validated,
    version_of,
)
from cbpar.db import db
from cbpar.initiatives import funding, results, services
from cbpar.initiatives.forms import ContributionForm, InitiativeForm, MilestoneForm
from cbpar.initiatives.models import Initiative
from cbpar.memos import services as memo_services
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can

INITIATIVE_INPUT = (
    "title",
    "description",
    "status",
    "need_ids",
    "lead_username",
    "lead_organisation",
    "roles",
    "budget_target",
    "currency",
    "spent",
    "starts_on",
    "ends_on",
    "facility_id",
    "opened_on",
)
INITIATIVE_READ_ONLY = (
    "id",
    "needs",
    "lead",
    "pledged",
    "received",
    "pledged_by_currency",
    "received_by_currency",
    "in_kind",
    "in_kind_value_by_currency",
    "contributions",
    "milestones",
    "indicators",
    "url",
)
CONTRIBUTION_INPUT = (
    "funder_id",
    "funder",
    "kind",
    "status",
    "amount",
    "currency",
    "items",
    "quantity",
    "estimated_value",
    "pledged_on",
    "received_on",
    "note",
)
MILESTONE_INPUT = ("title", "planned_on", "done_on", "note", "memo_id")
MAX_MEMO_CHOICES = 200
DEFAULT_CURRENCY = "CNY"


def _json(project: Project, initiative: Initiative) -> dict[str, Any]:
    values = results.indicator_values(project, [initiative])
    return initiative_json(project, initiative, values, g.membership)


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)


def _roles_text(roles: Any) -> Any:
    """Roles as the page's text: a list of {"party", "task"} becomes "party: task" lines."""
    if not isinstance(roles, list):
        return roles
    lines = []
    for role in roles:
        if not (
            isinstance(role, dict)
            and set(role) <= {"party", "task"}
            and all(isinstance(role.get(k), str) for k in ("party", "task"))
        ):
            raise bad_request("roles", _('roles: a list of {"party": …, "task": …}.'))
        lines.append(f"{role['party'].replace(':', ' ')}: {role['task']}")
    return "\n".join(lines)


def _lead_id(project: Project, username: Any) -> int | None:
    if username in (None, ""):
        return None
    for user in services.lead_candidates(project):
        if isinstance(username, str) and user.username.lower() == username.strip().lower():
            return user.id
    raise bad_request(
        "lead_username", _("lead_username: not the username of a member of this project.")
    )


def _initiative_values(
    project: Project, initiative: Initiative | None, body: dict[str, Any]
) -> dict[str, Any]:
    check_fields(body, INITIATIVE_INPUT, INITIATIVE_READ_ONLY)
    values: dict[str, Any] = {"currency": DEFAULT_CURRENCY}  # the page's default
    if initiative is not None:
        for name in services.INITIATIVE_FIELDS:
            values[name] = _text(getattr(initiative, name))
        values["need_ids"] = [n.id for n in initiative.needs]
        values["roles"] = "\n".join(f"{r.party}: {r.task}" for r in initiative.roles)
    values.update({k: v for k, v in body.items() if k in INITIATIVE_INPUT})
    if "lead_username" in values:
        values["lead_user_id"] = _lead_id(project, values.pop("lead_username"))
    values["roles"] = _roles_text(values.get("roles"))
    return values


def _initiative_form(
    project: Project, initiative: Initiative | None, values: dict[str, Any]
) -> InitiativeForm:
    return validated(
        InitiativeForm,
        values,
        needs=services.answerable_needs(project, initiative),
        members=services.lead_candidates(project),
        facilities=services.linkable_facilities(project),
    )


def _editor() -> None:
    if not membership_can(g.membership, Cap.EDIT_INITIATIVES):
        abort(403)


def create_initiative(project: Project):
    """POST /projects/<slug>/initiatives (the list endpoint checks edit_initiatives)."""
    body = json_body()
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, "initiative", client_id)
    created = False
    if found is None:
        form = _initiative_form(project, None, _initiative_values(project, None, body))
        found, created = idempotency.create_once(
            project,
            "initiative",
            client_id,
            lambda: services.create_initiative(project, form.data_dict(), current_user),
        )
    initiative = services.get_initiative(project, found) or abort(404)
    return answer(
        _json(project, initiative),
        201 if created else 200,
        url_for("api.initiative", initiative_id=initiative.id, _external=True),
    )


def _load(initiative_id: int) -> tuple[Initiative, Project]:
    stored = db.session.get(Initiative, initiative_id) or abort(404)
    project = member_project(stored.project_id)
    if not membership_can(g.membership, Cap.READ_INITIATIVES):
        abort(404)
    return services.get_initiative(project, initiative_id) or abort(404), project


@bp.route("/initiatives/<int:initiative_id>", methods=["GET", "PUT"])
@require_login
def initiative(initiative_id: int):
    record, project = _load(initiative_id)
    if request.method == "GET":
        return answer(_json(project, record))
    _editor()
    body = json_body()
    version = version_of(body)
    form = _initiative_form(project, record, _initiative_values(project, record, body))
    stale = save_or_conflict(
        lambda: services.update_initiative(record, form.data_dict(), version),
        lambda: services.get_initiative(project, initiative_id),
        lambda current: _json(project, current),
        version,
        _("The initiative was changed since that version; nothing was overwritten."),
        _("Someone else deleted this initiative while you were editing it."),
    )
    if stale:
        return stale
    db.session.refresh(record)  # amounts as stored (Numeric: "300" reads back "300.00")
    return answer(_json(project, record))


def _funder_id(project: Project, body: dict[str, Any]) -> Any:
    if "funder_id" in body or "funder" not in body:
        return body.get("funder_id")
    name = body["funder"]
    funder = funding.funder_named(project, name.strip()) if isinstance(name, str) else None
    if funder is None:
        raise bad_request(
            "funder", _("funder: no funder of this project has this name; add it first.")
        )
    return funder.id


@bp.route("/initiatives/<int:initiative_id>/contributions", methods=["POST"])
@require_login
def initiative_contributions(initiative_id: int):
    record, project = _load(initiative_id)
    _editor()
    body = json_body()
    check_fields(body, CONTRIBUTION_INPUT, ("id", "funder_type", "date"))
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, "contribution", client_id)
    created = False
    if found is None:
        values = {"currency": DEFAULT_CURRENCY}  # the page's default
        values.update({k: v for k, v in body.items() if k in CONTRIBUTION_INPUT and k != "funder"})
        values["funder_id"] = _funder_id(project, body)
        form = validated(ContributionForm, values, funders=funding.list_funders(project))
        found, created = idempotency.create_once(
            project,
            "contribution",
            client_id,
            lambda: funding.add_contribution(record, form.data_dict()),
        )
    db.session.expire(record)
    record = services.get_initiative(project, initiative_id) or abort(404)
    contribution = funding.get_contribution(record, found) or abort(404)
    return answer(
        {"initiative_id": record.id, **contribution_json(contribution, g.membership)},
        201 if created else 200,
        url_for("api.initiative", initiative_id=record.id, _external=True),
    )


@bp.route("/initiatives/<int:initiative_id>/milestones", methods=["POST"])
@require_login
def initiative_milestones(initiative_id: int):
    record, project = _load(initiative_id)
    _editor()
    body = json_body()
    check_fields(body, MILESTONE_INPUT, ("id",))
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, "milestone", client_id)
    created = False
    if found is None:
        memos = list(
            db.session.scalars(
                memo_services.list_query(project, g.membership).limit(MAX_MEMO_CHOICES)
            )
        )
        values = {k: v for k, v in body.items() if k in MILESTONE_INPUT}
        form = validated(MilestoneForm, values, memos=memos)

        def add() -> Any:
            milestone = services.add_milestone(record, form.data_dict())
            if form.memo_id.data is not None:
                memo = memo_services.get_memo(project, form.memo_id.data, g.membership)
                if memo is not None:
                    services.link_evidence(milestone, memo, current_user)
            return milestone

        found, created = idempotency.create_once(project, "milestone", client_id, add)
    milestone = services.get_milestone(project, found) or abort(404)
    return answer(
        {"initiative_id": milestone.initiative_id, **milestone_json(milestone)},
        201 if created else 200,
        url_for("api.initiative", initiative_id=milestone.initiative_id, _external=True),
    )
