"""Facility endpoints of the JSON API: list, read, create (once per client_id), update.

Fields are the facility CSV export's columns (name, kind, status, village, lat, lon,
capacity, opened_on, notes, updated_at) plus id, village_id, version and url. Every member
may read facilities (as on the pages); the field team creates and edits them through the
page's form (FacilityForm) and the mapping services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from cbpar.access import require, require_login
from cbpar.api import bp, idempotency
from cbpar.api.households import READ_ONLY, village_id_from
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
from cbpar.mapping.forms import FACILITY_FIELDS, FacilityForm
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus
from cbpar.privacy import FIELD_COORDINATE_DECIMALS
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import int_arg

KIND = "facility"


def facility_json(facility: Facility, slug: str) -> dict[str, Any]:
    return {
        "id": facility.id,
        "name": facility.name,
        "kind": facility.kind.value,
        "status": facility.status.value,
        "village": facility.village.name if facility.village else None,
        "village_id": facility.village_id,
        "lat": round(facility.lat, FIELD_COORDINATE_DECIMALS),
        "lon": round(facility.lon, FIELD_COORDINATE_DECIMALS),
        "location_accuracy_m": facility.location_accuracy_m,
        "capacity": facility.capacity,
        "opened_on": facility.opened_on.isoformat() if facility.opened_on else None,
        "notes": facility.notes,
        "updated_at": facility.updated_at.isoformat(),
        "version": facility.version,
        "url": url_for("mapping.facility", slug=slug, facility_id=facility.id, _external=True),
    }


def _values(facility: Facility | None, body: dict[str, Any], project: Project) -> dict:
    check_fields(body, (*FACILITY_FIELDS, "village"), READ_ONLY)
    values: dict[str, Any] = {}
    if facility is not None:
        for name in FACILITY_FIELDS:
            value = getattr(facility, name)
            values[name] = value.isoformat() if isinstance(value, date) else value
        values["kind"] = facility.kind.value
        values["status"] = facility.status.value
    values.update({k: v for k, v in body.items() if k in FACILITY_FIELDS})
    if body.get("village") is None and "village" in body and "village_id" not in body:
        values["village_id"] = None  # "village": null takes the facility out of any village
    elif "village" in body or "village_id" in body:
        values["village_id"] = village_id_from(project, body)
    return values


def _form(project: Project, values: dict[str, Any]) -> FacilityForm:
    return validated(FacilityForm, values, villages=services.villages(project))


@bp.route("/projects/<slug>/facilities", methods=["GET", "POST"])
@require(Cap.VIEW_PROJECT, write=Cap.EDIT_FIELD_RECORDS)
def facilities_api(project: Project):
    if request.method == "POST":
        return _create(project)
    kind = request.args.get("kind") or None
    status = request.args.get("status") or None
    if kind is not None and kind not in {k.value for k in FacilityKind}:
        raise bad_request("kind", _("kind: one of %(values)s.", values=_names(FacilityKind)))
    if status is not None and status not in {s.value for s in FacilityStatus}:
        raise bad_request("status", _("status: one of %(values)s.", values=_names(FacilityStatus)))
    query = services.facilities_query(
        project,
        village_id=int_arg("village"),  # one rule: out of range is ignored (cbpar.web)
        kind=kind,
        status=status,
        sort=request.args.get("sort", "name"),
    )
    return page_of(query, lambda f: facility_json(f, project.slug), "facilities")


def _names(enum: Any) -> str:
    return ", ".join(m.value for m in enum)


def _create(project: Project):
    body = json_body()
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, KIND, client_id)
    created = False
    if found is None:
        form = _form(project, _values(None, body, project))
        found, created = idempotency.create_once(
            project, KIND, client_id, lambda: services.create_facility(project, form.data_dict())
        )
    facility = services.get_facility(project, found) or abort(404)
    return answer(
        facility_json(facility, project.slug),
        201 if created else 200,
        url_for("api.facility", facility_id=facility.id, _external=True),
    )


@bp.route("/facilities/<int:facility_id>", methods=["GET", "PUT"])
@require_login
def facility(facility_id: int):
    facility = db.session.get(Facility, facility_id) or abort(404)
    project = member_project(facility.project_id)
    if not membership_can(g.membership, Cap.VIEW_PROJECT):
        abort(404)
    if request.method == "GET":
        return answer(facility_json(facility, project.slug))
    if not membership_can(g.membership, Cap.EDIT_FIELD_RECORDS):
        abort(403)
    body = json_body()
    version = version_of(body)
    form = _form(project, _values(facility, body, project))
    stale = save_or_conflict(
        lambda: services.update_facility(facility, form.data_dict(), version),
        lambda: services.get_facility(project, facility_id),
        lambda current: facility_json(current, project.slug),
        version,
        _("The facility was changed since that version; nothing was overwritten."),
        _("Someone else deleted this facility while you were editing it."),
    )
    return stale or answer(facility_json(facility, project.slug))
