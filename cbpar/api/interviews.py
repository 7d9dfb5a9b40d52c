"""Interview endpoints of the JSON API: list, read, record (once per client_id), update,
withdraw consent. The consent rules are the page's: the InterviewForm's checks, then
`services.consent_problems` (no notes without consent covering them, a guardian and the
child's assent for a minor, a household for a family interview).

Who sees what is the pages' rule too: the field team only, family interviews only for roles
that see household details; once consent is withdrawn the content is shown to no one (the
record then carries its id, kind, dates and `withdrawn`), and it can no longer be edited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require, require_login
from cbpar.api import bp, idempotency
from cbpar.api.writing import (
    add_errors,
    answer,
    bind,
    check_fields,
    conflict,
    json_body,
    member_project,
    page_of,
    save_or_conflict,
    version_of,
)
from cbpar.db import db
from cbpar.editing import EditConflict, flush_or_conflict
from cbpar.interviews import services
from cbpar.interviews.forms import InterviewForm
from cbpar.interviews.models import Interview
from cbpar.projects.models import Project
from cbpar.security import Cap

KIND = "interview"
INPUT_FIELDS = (*InterviewForm.FIELDS, "household_code")
READ_ONLY = ("id", "interviewer", "withdrawn", "withdrawn_at", "erased", "updated_at", "url")


def interview_json(interview: Interview, slug: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": interview.id,
        "kind": interview.kind.value,
        "held_on": interview.held_on.isoformat(),
        "withdrawn": interview.withdrawn,
        "withdrawn_at": interview.withdrawn_at.isoformat() if interview.withdrawn_at else None,
        "erased": interview.erased_at is not None,
        "updated_at": interview.updated_at.isoformat(),
        "version": interview.version,
        "url": url_for("interviews.view", slug=slug, interview_id=interview.id, _external=True),
    }
    if not services.content_visible(g.membership, interview):
        return row  # withdrawn consent: the content is shown to no one
    for name in InterviewForm.FIELDS:
        value = getattr(interview, name)
        row[name] = value.isoformat() if isinstance(value, date) else getattr(value, "value", value)
    row["household_code"] = interview.household.code if interview.household else None
    row["interviewer"] = interview.interviewer.name if interview.interviewer else None
    return row


def _values(interview: Interview | None, body: dict[str, Any]) -> dict[str, Any]:
    check_fields(body, INPUT_FIELDS, READ_ONLY)
    values: dict[str, Any] = {}
    if interview is not None:
        for name in InterviewForm.FIELDS:
            value = getattr(interview, name)
            values[name] = (
                value.isoformat() if isinstance(value, date) else getattr(value, "value", value)
            )
        values["household_code"] = interview.household.code if interview.household else ""
    values.update({k: v for k, v in body.items() if k in INPUT_FIELDS})
    return values


def _checked(project: Project, values: dict[str, Any]) -> tuple[InterviewForm, Any]:
    """The page's checks: the form, then the consent rules and the household, all reported
    together (a 400 listing every problem)."""
    form = bind(InterviewForm, values)
    valid = form.validate()
    problems, household = _rule_problems(project, form)
    add_errors(form, problems, valid)
    return form, household


def _rule_problems(project: Project, form: InterviewForm) -> tuple[dict[str, str], Any]:
    data = form.data_dict()
    problems = dict(services.consent_problems(data))
    household = services.household_by_code(project, data["household_code"])
    if data["household_code"] and household is None:
        problems.setdefault("household_code", _("No household has this code."))
    return problems, household


@bp.route("/projects/<slug>/interviews", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def interviews_api(project: Project):
    if request.method == "POST":
        return _create(project)
    query = services.list_query(project, g.membership)
    return page_of(query, lambda i: interview_json(i, project.slug), "interviews")


def _create(project: Project):
    body = json_body()
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, KIND, client_id)
    created = False
    if found is None:
        form, household = _checked(project, _values(None, body))
        found, created = idempotency.create_once(
            project,
            KIND,
            client_id,
            lambda: services.create_interview(project, form.data_dict(), household, current_user),
        )
    interview = services.get_interview(project, found, g.membership) or abort(404)
    return answer(
        interview_json(interview, project.slug),
        201 if created else 200,
        url_for("api.interview", interview_id=interview.id, _external=True),
    )


def _load(interview_id: int) -> tuple[Interview, Project]:
    interview = db.session.get(Interview, interview_id) or abort(404)
    project = member_project(interview.project_id)
    if not services.can_see(g.membership, interview):
        abort(404)
    return interview, project


@bp.route("/interviews/<int:interview_id>", methods=["GET", "PUT"])
@require_login
def interview(interview_id: int):
    interview, project = _load(interview_id)
    if request.method == "GET":
        return answer(interview_json(interview, project.slug))
    body = json_body()
    version = version_of(body)
    if interview.withdrawn:
        return conflict(
            _("Consent was withdrawn: this interview can no longer be edited."),
            interview_json(interview, project.slug),
            version,
        )
    form, household = _checked(project, _values(interview, body))
    stale = save_or_conflict(
        lambda: services.update_interview(interview, form.data_dict(), household, version),
        lambda: services.get_interview(project, interview_id, g.membership),
        lambda current: interview_json(current, project.slug),
        version,
        _("The interview was changed since that version; nothing was overwritten."),
    )
    return stale or answer(interview_json(interview, project.slug))


@bp.route("/interviews/<int:interview_id>/withdraw", methods=["POST"])
@require_login
def interview_withdraw(interview_id: int):
    """Record that consent was withdrawn: the content is hidden from everyone from now on."""
    interview, project = _load(interview_id)
    if not interview.withdrawn:
        services.withdraw(interview, current_user)
        try:
            flush_or_conflict()
        except EditConflict:
            # An edit was saved meanwhile; withdrawal overwrites nothing anyone wrote: redo it.
            db.session.rollback()
            interview, project = _load(interview_id)
            if not interview.withdrawn:
                services.withdraw(interview, current_user)
    return answer(interview_json(interview, project.slug))
