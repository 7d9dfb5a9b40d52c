"""Household endpoints of the JSON API: list, read, create (once per client_id), update.

Fields are the household CSV export's columns (code, village, lat, lon, the counts, the
family situation, visit and consent, notes, updated_at) plus id, village_id, version and url.
A household is created and changed through the page's form (HouseholdForm: the same checks
and messages) and the mapping services (the same audit trail). Who sees what is
`privacy.household_shape`: the field team everything, committee members a village and a
rounded point, observers nothing here (village totals are in villages.geojson).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from cbpar import privacy
from cbpar.access import require, require_login
from cbpar.api import bp, idempotency
from cbpar.api.writing import (
    answer,
    bad_request,
    check_fields,
    json_body,
    member_project,
    page_of,
    save_or_conflict,
    validated,
    version_of,
)
from cbpar.db import db
from cbpar.mapping import services
from cbpar.mapping.forms import HOUSEHOLD_FIELDS, HouseholdForm
from cbpar.mapping.models import Household, MigrantParents
from cbpar.projects.models import Project, Village
from cbpar.security import Cap, membership_can
from cbpar.web import int_arg

KIND = "household"
READ_ONLY = ("id", "code", "updated_at", "url")


def today_in(project: Project) -> date:
    """The project's local date (a visit or consent date may not be later)."""
    return datetime.now(ZoneInfo(project.timezone)).date()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def household_json(household: Household, slug: str) -> dict[str, Any]:
    """Every field, for members who see household details."""
    return {
        "id": household.id,
        "code": household.code,
        "village": household.village.name,
        "village_id": household.village_id,
        "field_ref": household.field_ref,
        "lat": round(household.lat, privacy.FIELD_COORDINATE_DECIMALS),
        "lon": round(household.lon, privacy.FIELD_COORDINATE_DECIMALS),
        "location_accuracy_m": household.location_accuracy_m,
        "members": household.members,
        "children_under_6": household.children_under_6,
        "children_6_17": household.children_6_17,
        "left_behind_children": household.left_behind_children,
        "migrant_parents": household.migrant_parents.value,
        "caregiver": household.caregiver.value,
        "visited_on": _iso(household.visited_on),
        "consent_on": _iso(household.consent_on),
        "consent_given_by": household.consent_given_by,
        "notes": household.notes,
        "updated_at": household.updated_at.isoformat(),
        "version": household.version,
        "url": url_for("mapping.household", slug=slug, household_id=household.id, _external=True),
    }


def shaped_json(household: Household, shape: privacy.HouseholdShape) -> dict[str, Any]:
    """A household as an audience without details may see it (privacy.household_shape)."""
    row: dict[str, Any] = {}
    if shape.ids:
        row["id"] = household.id
    if shape.codes:
        row["code"] = household.code
    row["village"] = household.village.name
    row["lat"] = round(household.lat, shape.decimals)
    row["lon"] = round(household.lon, shape.decimals)
    return row


def village_id_from(project: Project, body: dict[str, Any]) -> Any:
    """`village_id`, or `village` as in the CSV export (the village's name, or its code)."""
    if "village_id" in body or "village" not in body:
        return body.get("village_id")
    name = body["village"]
    village = None
    if isinstance(name, str) and name.strip():
        text = name.strip()
        village = db.session.scalar(
            select(Village).where(
                Village.project_id == project.id,
                (Village.name == text) | (func.upper(Village.code) == text.upper()),
            )
        )
    if village is None:
        raise bad_request(
            "village", _("village: no village of this project has this name or code.")
        )
    return village.id


def _values(household: Household | None, body: dict[str, Any], project: Project) -> dict:
    """The form's values: the stored ones (when editing), then what the body sends."""
    check_fields(body, (*HOUSEHOLD_FIELDS, "village"), READ_ONLY)
    values: dict[str, Any] = {}
    if household is not None:
        for name in HOUSEHOLD_FIELDS:
            value = getattr(household, name)
            values[name] = value.isoformat() if isinstance(value, date) else value
        values["migrant_parents"] = household.migrant_parents.value
        values["caregiver"] = household.caregiver.value
    values.update({k: v for k, v in body.items() if k in HOUSEHOLD_FIELDS})
    if "village" in body or "village_id" in body:
        values["village_id"] = village_id_from(project, body)
    return values


def _form(
    project: Project, values: dict[str, Any], record: Household | None = None
) -> HouseholdForm:
    return validated(
        HouseholdForm,
        values,
        villages=services.villages(project),
        today=today_in(project),
        project=project,
        record=record,
    )


@bp.route("/projects/<slug>/households", methods=["GET", "POST"])
@require(Cap.SEE_HOUSEHOLD_POINTS, write=Cap.EDIT_FIELD_RECORDS)
def households_api(project: Project):
    if request.method == "POST":
        return _create(project)
    audience = privacy.audience_of(g.membership)
    shape = privacy.household_shape(audience)
    village_id = int_arg("village")  # one rule: out of range is ignored (cbpar.web)
    if shape.details:
        sort = request.args.get("sort", "code")
        migrant = request.args.get("migrant_parents") or None
        if migrant is not None and migrant not in {m.value for m in MigrantParents}:
            message = _("migrant_parents: none, father, mother, both or unknown.")
            raise bad_request("migrant_parents", message)
        query = services.households_query(
            project, village_id=village_id, migrant_parents=migrant, sort=sort
        )
        return page_of(query, lambda h: household_json(h, project.slug), "households")
    # Committee members: points only, in an order that says nothing about codes or records.
    query = (
        services.households_query(project, village_id=village_id)
        .order_by(None)
        .order_by(Household.lat, Household.lon)
    )
    return page_of(query, lambda h: shaped_json(h, shape), "households")


def _create(project: Project):
    body = json_body()
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, KIND, client_id)
    if found is None:
        form = _form(project, _values(None, body, project))
        found, created = idempotency.create_once(
            project,
            KIND,
            client_id,
            lambda: services.create_household(project, form.data_dict()),
        )
    else:
        created = False
    household = services.get_household(project, found) or abort(404)
    return answer(
        household_json(household, project.slug),
        201 if created else 200,
        url_for("api.household", household_id=household.id, _external=True),
    )


def _load(household_id: int) -> tuple[Household, Project]:
    household = db.session.get(Household, household_id) or abort(404)
    project = member_project(household.project_id)
    return household, project


@bp.route("/households/<int:household_id>", methods=["GET", "PUT"])
@require_login
def household(household_id: int):
    household, project = _load(household_id)
    if request.method == "GET":
        if not membership_can(g.membership, Cap.SEE_HOUSEHOLD_DETAILS):
            abort(403)
        return answer(household_json(household, project.slug))
    if not membership_can(g.membership, Cap.EDIT_FIELD_RECORDS):
        abort(403)
    body = json_body()
    version = version_of(body)
    form = _form(project, _values(household, body, project), household)
    stale = save_or_conflict(
        lambda: services.update_household(household, form.data_dict(), version),
        lambda: services.get_household(project, household_id),
        lambda current: household_json(current, project.slug),
        version,
        _("The household was changed since that version; nothing was overwritten."),
        _("Someone else deleted this household while you were editing it."),
    )
    return stale or answer(household_json(household, project.slug))
