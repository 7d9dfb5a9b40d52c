"""Initiative endpoints of the JSON API: initiatives with funding, milestones and indicators.

Amounts are decimal strings ("1200.50"), never floats; totals are per currency, never mixed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import g, request, url_for

from cbpar import privacy
from cbpar.access import require
from cbpar.api import bp
from cbpar.api.responses import json_response
from cbpar.initiatives import funding, results, services
from cbpar.initiatives.models import ContributionKind, Initiative
from cbpar.projects.models import Project
from cbpar.security import Cap


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _fig(value: Decimal | None) -> str | None:
    if isinstance(value, str):  # a suppressed small number: "<5" (cbpar/privacy.py)
        return value
    return None if value is None else format(value.normalize(), "f")


def _table(table: dict[str, Decimal]) -> dict[str, str]:
    return {currency: format(amount, "f") for currency, amount in sorted(table.items())}


def contribution_json(c: Any, membership: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "funder": privacy.donor_name(c.funder, membership),
        "funder_type": c.funder.type.value,
        "kind": c.kind.value,
        "amount": _dec(c.amount) if c.kind == ContributionKind.CASH else None,
        "items": c.items or None,
        "quantity": c.quantity,
        "estimated_value": _dec(c.estimated_value),
        "currency": c.currency,
        "status": c.status.value,
        "date": (c.received_on or c.pledged_on).isoformat()
        if (c.received_on or c.pledged_on)
        else None,
    }


def milestone_json(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "planned_on": m.planned_on.isoformat() if m.planned_on else None,
        "done_on": m.done_on.isoformat() if m.done_on else None,
    }


def initiative_json(
    project: Project, initiative: Initiative, values: dict[int, Any], membership: Any
) -> dict[str, Any]:
    totals = funding.totals(initiative)
    return {
        "id": initiative.id,
        "title": initiative.title,
        "description": initiative.description,
        "status": initiative.status.value,
        "needs": [{"id": n.id, "title": n.title} for n in initiative.needs],
        "lead": (
            initiative.lead_user.name
            if initiative.lead_user and privacy.sees_people(membership)
            else initiative.lead_organisation or None
        ),
        "roles": [{"party": r.party, "task": r.task} for r in initiative.roles],
        "budget_target": _dec(initiative.budget_target),
        "currency": initiative.currency,
        "spent": _dec(initiative.spent),
        "starts_on": initiative.starts_on.isoformat() if initiative.starts_on else None,
        "ends_on": initiative.ends_on.isoformat() if initiative.ends_on else None,
        "facility_id": initiative.facility_id,
        # In the initiative's currency; other currencies in the *_by_currency tables.
        "pledged": _dec(totals.pledged_main),
        "received": _dec(totals.received_main),
        "pledged_by_currency": _table(totals.pledged),
        "received_by_currency": _table(totals.received),
        "in_kind": [
            {
                "items": item.items,
                "quantity": item.quantity,
                "value": _dec(item.value),
                "currency": item.currency,
                "status": item.status.value,
            }
            for item in totals.items
        ],
        "in_kind_value_by_currency": _table(totals.in_kind),
        "contributions": [contribution_json(c, membership) for c in initiative.contributions],
        "milestones": [milestone_json(m) for m in initiative.milestones],
        "indicators": [
            {
                "id": i.id,
                "name": i.name,
                "unit": i.unit,
                "source": i.source.value,
                "baseline": _fig(values[i.id].baseline),
                "target": _fig(i.target),
                "current": _fig(values[i.id].current),
                "baseline_as_of": values[i.id].baseline_as_of.isoformat()
                if values[i.id].baseline_as_of
                else None,
                "current_as_of": values[i.id].current_as_of.isoformat()
                if values[i.id].current_as_of
                else None,
                # Computed indicators may count one village only (None: the whole project).
                "village_id": i.village_id,
                "village": i.village.name if i.village else None,
                # Indicators from services: what is measured, one programme, over which days.
                "service_measure": i.service_measure,
                "programme_id": i.programme_id,
                "period_days": i.period_days,
                "description": values[i.id].description,
            }
            for i in initiative.indicators
        ],
        "version": initiative.version,
        "url": url_for(
            "initiatives.initiative",
            slug=project.slug,
            initiative_id=initiative.id,
            _external=True,
        ),
    }


@bp.route("/projects/<slug>/initiatives", methods=["GET", "POST"])
@require(Cap.READ_INITIATIVES, write=Cap.EDIT_INITIATIVES)
def initiatives(project: Project):
    """Every initiative of the project, with funding totals, milestones and indicators.
    POST creates one (cbpar/api/initiatives_write.py)."""
    if request.method == "POST":
        # import here: initiatives_write uses this module's JSON shapes
        from cbpar.api.initiatives_write import create_initiative

        return create_initiative(project)
    rows = services.list_initiatives(project)
    values = results.indicator_values(project, rows)
    body = {"initiatives": [initiative_json(project, i, values, g.membership) for i in rows]}
    return json_response(body, request)
