"""Household and facility pages: list, create, edit, delete, CSV export.

Who sees what on the households page: roles with SEE_HOUSEHOLD_DETAILS get the list of
households; every other member (committee, observers) gets per-village totals only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cbpar import audit, csvout
from cbpar.access import require
from cbpar.db import writes
from cbpar.editing import EditConflict, conflict_page, posted_version
from cbpar.forms import EmptyForm, check_button
from cbpar.mapping import bp, exports, services
from cbpar.mapping.forms import FACILITY_FIELDS, HOUSEHOLD_FIELDS, FacilityForm, HouseholdForm
from cbpar.mapping.models import FacilityKind, FacilityStatus, MigrantParents
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import form_page, int_arg, no_store, page_number, paginate


def _today(project: Project) -> date:
    return datetime.now(ZoneInfo(project.timezone)).date()


def _int_arg(name: str) -> int | None:
    return int_arg(name)  # a number out of range is ignored, like any that is not a number


def _csv(body: str, filename: str) -> Response:
    return csvout.response(body, filename)


# --- households ------------------------------------------------------------------------------


@bp.route("/projects/<slug>/households")
@require(Cap.SEE_VILLAGE_TOTALS)
def households(project: Project):
    villages = services.villages(project)
    if not membership_can(g.membership, Cap.SEE_HOUSEHOLD_DETAILS):
        totals = services.village_totals(project)
        return no_store(
            render_template("mapping/household_totals.html", project=project, totals=totals)
        )
    sort = request.args.get("sort", "code")
    sort = sort if sort in services.HOUSEHOLD_SORTS else "code"
    village_id = _int_arg("village")
    migrant = request.args.get("migrant_parents") or None
    query = services.households_query(
        project, village_id=village_id, migrant_parents=migrant, sort=sort
    )
    page = paginate(query, page_number(request.args.get("page")), 50)
    filters = {"sort": sort}
    if village_id is not None:
        filters["village"] = village_id
    if migrant:
        filters["migrant_parents"] = migrant
    return no_store(
        render_template(
            "mapping/households.html",
            project=project,
            page=page,
            villages=villages,
            filters=filters,
            migrant_choices=MigrantParents,
        )
    )


@bp.route("/projects/<slug>/households.csv")
@writes
@require(Cap.SEE_HOUSEHOLD_DETAILS)
def households_csv(project: Project):
    body, rows = exports.households_csv(project)
    audit.record_export(project, "households", "csv", rows)
    return _csv(body, f"{project.slug}-households.csv")


@bp.route("/projects/<slug>/households.xlsx")
@writes
@require(Cap.SEE_HOUSEHOLD_DETAILS)
def households_xlsx(project: Project):
    body, rows = exports.households_xlsx(project)
    audit.record_export(project, "households", "xlsx", rows)
    return csvout.xlsx_response(body, f"{project.slug}-households.xlsx")


@bp.route("/projects/<slug>/households/new", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def new_household(project: Project):
    villages = services.villages(project)
    form = HouseholdForm(villages=villages, today=_today(project), project=project, warn=True)
    if request.method == "GET" and _int_arg("village") is not None:
        form.village_id.data = _int_arg("village")
    context = {"form": form, "project": project, "household": None, "villages": villages}
    if form.validate_on_submit():
        household = services.create_household(project, form.data_dict())
        flash(_("Household %(code)s added.", code=household.code), "success")
        return redirect(url_for("mapping.household", slug=project.slug, household_id=household.id))
    return form_page("mapping/household_form.html", **context)


@bp.route("/projects/<slug>/households/<int:household_id>")
@require(Cap.SEE_HOUSEHOLD_DETAILS)
def household(project: Project, household_id: int):
    record = services.get_household(project, household_id) or abort(404)
    return no_store(render_template("mapping/household.html", project=project, household=record))


@bp.route("/projects/<slug>/households/<int:household_id>/edit", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def edit_household(project: Project, household_id: int):
    record = services.get_household(project, household_id) or abort(404)
    villages = services.villages(project)
    form = HouseholdForm(
        obj=record,
        villages=villages,
        today=_today(project),
        project=project,
        record=record,
        warn=True,
    )
    context = {
        "form": form,
        "project": project,
        "household": record,
        "villages": villages,
        "delete_form": EmptyForm(),
    }
    if form.validate_on_submit():
        try:
            services.update_household(record, form.data_dict(), posted_version())
        except EditConflict:
            return _household_conflict(project, household_id, form, context)
        flash(_("Household %(code)s saved.", code=record.code), "success")
        return redirect(url_for("mapping.household", slug=project.slug, household_id=record.id))
    return form_page("mapping/household_form.html", **context)


def _household_conflict(project: Project, household_id: int, form: HouseholdForm, context: dict):
    context.pop("form")
    return conflict_page(
        "mapping/household_form.html",
        form,
        lambda: services.get_household(project, household_id),
        HOUSEHOLD_FIELDS,
        record="household",
        gone=_("Someone else deleted this household while you were editing it."),
        **context,
    )


@bp.route("/projects/<slug>/households/<int:household_id>/delete", methods=["POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def delete_household(project: Project, household_id: int):
    record = services.get_household(project, household_id) or abort(404)
    check_button()
    code = record.code
    services.delete_household(record)
    flash(_("Household %(code)s deleted.", code=code), "success")
    return redirect(url_for("mapping.households", slug=project.slug))


# --- facilities ------------------------------------------------------------------------------


@bp.route("/projects/<slug>/facilities")
@require(Cap.VIEW_PROJECT)
def facilities(project: Project):
    sort = request.args.get("sort", "name")
    sort = sort if sort in services.FACILITY_SORTS else "name"
    village_id = _int_arg("village")
    kind = request.args.get("kind") or None
    status = request.args.get("status") or None
    query = services.facilities_query(
        project, village_id=village_id, kind=kind, status=status, sort=sort
    )
    page = paginate(query, page_number(request.args.get("page")), 50)
    filters: dict[str, Any] = {"sort": sort}
    for key, value in (("village", village_id), ("kind", kind), ("status", status)):
        if value is not None:
            filters[key] = value
    return render_template(
        "mapping/facilities.html",
        project=project,
        page=page,
        villages=services.villages(project),
        filters=filters,
        kinds=FacilityKind,
        statuses=FacilityStatus,
    )


@bp.route("/projects/<slug>/facilities.csv")
@writes
@require(Cap.VIEW_PROJECT)
def facilities_csv(project: Project):
    body, rows = exports.facilities_csv(project)
    audit.record_export(project, "facilities", "csv", rows)
    return _csv(body, f"{project.slug}-facilities.csv")


@bp.route("/projects/<slug>/facilities/new", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def new_facility(project: Project):
    form = FacilityForm(villages=services.villages(project))
    context = {"form": form, "project": project, "facility": None}
    if form.validate_on_submit():
        facility = services.create_facility(project, form.data_dict())
        flash(_("Facility added."), "success")
        return redirect(url_for("mapping.facility", slug=project.slug, facility_id=facility.id))
    return form_page("mapping/facility_form.html", **context)


@bp.route("/projects/<slug>/facilities/<int:facility_id>")
@require(Cap.VIEW_PROJECT)
def facility(project: Project, facility_id: int):
    record = services.get_facility(project, facility_id) or abort(404)
    return render_template("mapping/facility.html", project=project, facility=record)


@bp.route("/projects/<slug>/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def edit_facility(project: Project, facility_id: int):
    record = services.get_facility(project, facility_id) or abort(404)
    form = FacilityForm(obj=record, villages=services.villages(project))
    context = {"form": form, "project": project, "facility": record, "delete_form": EmptyForm()}
    if form.validate_on_submit():
        try:
            services.update_facility(record, form.data_dict(), posted_version())
        except EditConflict:
            context.pop("form")
            return conflict_page(
                "mapping/facility_form.html",
                form,
                lambda: services.get_facility(project, facility_id),
                FACILITY_FIELDS,
                record="facility",
                **context,
            )
        flash(_("Facility saved."), "success")
        return redirect(url_for("mapping.facility", slug=project.slug, facility_id=record.id))
    return form_page("mapping/facility_form.html", **context)


@bp.route("/projects/<slug>/facilities/<int:facility_id>/delete", methods=["POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def delete_facility(project: Project, facility_id: int):
    record = services.get_facility(project, facility_id) or abort(404)
    check_button()
    services.delete_facility(record)
    flash(_("Facility deleted."), "success")
    return redirect(url_for("mapping.facilities", slug=project.slug))
