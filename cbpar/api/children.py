"""Children and contact logs in the JSON API (field roles only: others get 403).

A child is created through the page's form (ChildForm: the same checks and messages) and
the care services (the same consent rules and audit trail); a contact likewise through
ContactForm. Every POST accepts a `client_id` and creates its record once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require, require_login
from cbpar.api import bp
from cbpar.api.writing import (
    add_errors,
    answer,
    bad_request,
    bind,
    check_fields,
    created_once,
    json_body,
    member_project,
    page_of,
    save_or_conflict,
    version_of,
)
from cbpar.care import services
from cbpar.care.forms import ChildForm, ContactForm
from cbpar.care.models import Child, ContactLog
from cbpar.db import db
from cbpar.meetings.services import project_today
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import int_arg

CHILD_FIELDS = ("household_id", *ChildForm.FIELDS)
CHILD_READ_ONLY = ("id", "code", "household_code", "village_id", "withdrawn", "updated_at", "url")
API_CONTACT_FIELDS = (
    "kind",
    "on",
    "minutes",
    "with",
    "summary",
    "issues",
    "follow_up_on",
    "lat",
    "lon",
    "location_accuracy_m",
)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def child_json(child: Child) -> dict[str, Any]:
    return {
        "id": child.id,
        "code": child.code,
        "household_id": child.household_id,
        "household_code": child.household.code,
        "village_id": child.household.village_id,
        "birth_year": child.birth_year,
        "birth_month": child.birth_month,
        "sex": child.sex.value,
        "school": child.school,
        "grade": child.grade,
        "parents_away": child.parents_away.value,
        "away_since": _iso(child.away_since),
        "home_visits": child.home_visits.value,
        "caregiver": child.caregiver.value,
        "session_name": child.session_name,
        "consent_on": _iso(child.consent_on),
        "consent_given_by": child.consent_given_by,
        "assent_on": _iso(child.assent_on),
        "withdrawn": child.withdrawn,
        "updated_at": child.updated_at.isoformat(),
        "version": child.version,
        "url": url_for("care.child", slug=child.project.slug, child_id=child.id, _external=True),
    }


def contact_json(contact: ContactLog) -> dict[str, Any]:
    return {
        "id": contact.id,
        "child_id": contact.child_id,
        "kind": contact.kind.value,
        "on": contact.on.isoformat(),
        "minutes": contact.minutes,
        "with": contact.with_whom,
        "summary": contact.summary,
        "issues": contact.issues,
        "follow_up_on": _iso(contact.follow_up_on),
        "follow_up_done_on": _iso(contact.follow_up_done_on),
        "by": contact.by.name if contact.by else None,
        "lat": contact.lat,
        "lon": contact.lon,
        "location_accuracy_m": contact.location_accuracy_m,
    }


def _child_values(child: Child | None, body: dict[str, Any]) -> dict[str, Any]:
    check_fields(body, CHILD_FIELDS, CHILD_READ_ONLY)
    values: dict[str, Any] = {}
    if child is not None:
        for name in ChildForm.FIELDS:
            value = getattr(child, name)
            values[name] = getattr(value, "value", value)
            if isinstance(value, date):
                values[name] = value.isoformat()
        values["household_code"] = child.household.code
    for name in ChildForm.FIELDS:
        if name in body:
            values[name] = body[name]
    if child is None:
        values.setdefault("home_visits", "unknown")
        values["household_code"] = "-"  # the household comes by id; the form needs some code
    return values


def _checked_child_form(project: Project, values: dict[str, Any]) -> ChildForm:
    form = bind(ChildForm, values)
    valid = form.validate()
    problems = services.child_problems(form.data_dict(), project_today(project)) if valid else {}
    add_errors(form, problems, valid)
    return form


@bp.route("/projects/<slug>/children", methods=["GET", "POST"])
@require(Cap.SEE_CHILDREN, write=Cap.RECORD_CARE)
def children_api(project: Project):
    if request.method == "POST":
        return _create_child(project)
    query = services.children_query(project, village_id=int_arg("village"))
    return page_of(query, child_json, "children")


def _create_child(project: Project):
    body = json_body()

    def make() -> Callable[[], Any]:
        household = services.household_for(project, body.get("household_id"))
        if not isinstance(body.get("household_id"), int) or household is None:
            raise bad_request(
                "household_id", _("household_id: the id of a household of this project.")
            )
        form = _checked_child_form(project, _child_values(None, body))
        return lambda: services.create_child(project, household, form.data_dict(), current_user)

    found, created = created_once(project, "child", body, make)
    child = services.get_child(project, found) or abort(404)
    return answer(
        child_json(child),
        201 if created else 200,
        url_for("api.child", child_id=child.id, _external=True),
    )


def _load_child(child_id: int) -> tuple[Child, Project]:
    child = db.session.get(Child, child_id) or abort(404)
    project = member_project(child.project_id)
    if not membership_can(g.membership, Cap.SEE_CHILDREN):
        abort(403)
    return child, project


@bp.route("/children/<int:child_id>", methods=["GET", "PUT"])
@require_login
def child(child_id: int):
    record, project = _load_child(child_id)
    if request.method == "GET":
        return answer(child_json(record))
    if not services.can_record(g.membership, record):
        abort(403)
    body = json_body()
    if "household_id" in body and body["household_id"] != record.household_id:
        raise bad_request("household_id", _("household_id: a child cannot change household."))
    version = version_of(body)
    form = _checked_child_form(project, _child_values(record, body))
    stale = save_or_conflict(
        lambda: services.update_child(record, form.data_dict(), version, current_user),
        lambda: services.get_child(project, child_id),
        child_json,
        version,
        _("The child's record was changed since that version; nothing was overwritten."),
        _("Someone else deleted this child's record while you were editing it."),
    )
    return stale or answer(child_json(record))


@bp.route("/children/<int:child_id>/contacts", methods=["GET", "POST"])
@require_login
def contacts(child_id: int):
    record, project = _load_child(child_id)
    if request.method == "GET":
        return answer({"contacts": [contact_json(c) for c in services.contacts_of(record)]})
    if not services.can_record(g.membership, record):
        abort(403)
    body = json_body()
    check_fields(body, API_CONTACT_FIELDS)

    def make() -> Callable[[], Any]:
        values = {k: v for k, v in body.items() if k in API_CONTACT_FIELDS and k != "with"}
        values["with_whom"] = body.get("with")
        form = bind(ContactForm, values)
        valid = form.validate()
        problems = (
            services.contact_problems(form.data_dict(), project_today(project)) if valid else {}
        )
        add_errors(form, problems, valid)
        return lambda: services.add_contact(record, form.data_dict(), current_user)

    found, created = created_once(project, "contact", body, make)
    contact = services.get_contact(project, found) or abort(404)
    return answer(contact_json(contact), 201 if created else 200)
