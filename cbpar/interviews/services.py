"""Interviews: consent rules, who may see them, withdrawal and erasure (both audited)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from cbpar import audit, links, search
from cbpar.attachments import services as attachment_services
from cbpar.db import db, scrub_after_commit, utcnow
from cbpar.editing import check_version, flush_or_conflict
from cbpar.interviews.models import (
    ChildAssent,
    ConsentGiver,
    ConsentMethod,
    Interview,
    InterviewKind,
)
from cbpar.links import RecordLink
from cbpar.mapping.models import Household
from cbpar.security import Cap, membership_can
from cbpar.text import plain_text

FIELDS = (
    "kind",
    "held_on",
    "interviewee_role",
    "language",
    "involves_minor",
    "consent_method",
    "consent_given_by",
    "child_assent",
    "consent_on",
    "covers_notes",
    "covers_audio",
    "covers_quotes",
    "covers_photos",
    "notes",
)


ENUMS = {
    "kind": InterviewKind,
    "consent_method": ConsentMethod,
    "consent_given_by": ConsentGiver,
    "child_assent": ChildAssent,
}


def can_see(membership: Any, interview: Any) -> bool:
    """Field team only: committee members and observers never see interviews."""
    if not membership_can(membership, Cap.EDIT_FIELD_RECORDS):
        return False
    if interview is None:
        return True
    if interview.project_id != membership.project_id:
        return False
    return interview.kind != InterviewKind.FAMILY or membership_can(
        membership, Cap.SEE_HOUSEHOLD_DETAILS
    )


def content_visible(membership: Any, interview: Interview) -> bool:
    """Withdrawn consent hides the content from everyone, coordinators included."""
    return can_see(membership, interview) and not interview.withdrawn


def consent_problems(data: dict[str, Any]) -> dict[str, str]:
    """Field name -> why this record cannot be saved as it is."""
    problems: dict[str, str] = {}
    notes = (data.get("notes") or "").strip()
    if data.get("involves_minor"):
        if data.get("consent_given_by") != ConsentGiver.GUARDIAN.value:
            if notes:
                problems["notes"] = _(
                    "Notes about a minor cannot be saved without a guardian's consent recorded."
                )
            problems["consent_given_by"] = _("For a minor, a parent or guardian gives consent.")
        if data.get("child_assent") == ChildAssent.NOT_APPLICABLE.value:
            problems["child_assent"] = _("Record whether the child agreed to take part.")
    elif data.get("child_assent") not in (None, "", ChildAssent.NOT_APPLICABLE.value):
        problems["involves_minor"] = _("Tick this box if a child takes part.")
    if notes and not data.get("covers_notes") and "notes" not in problems:
        problems["notes"] = _("Notes can only be saved if the consent covers written notes.")
    if data.get("kind") == InterviewKind.FAMILY.value and not data.get("household_code"):
        problems["household_code"] = _("A family interview is linked to a household.")
    return problems


def household_by_code(project: Any, code: str) -> Household | None:
    if not code:
        return None
    return db.session.scalar(
        select(Household).where(
            Household.project_id == project.id, func.upper(Household.code) == code.upper()
        )
    )


def list_query(project: Any, membership: Any) -> Any:
    query = (
        select(Interview)
        .where(Interview.project_id == project.id)
        .options(joinedload(Interview.interviewer), joinedload(Interview.household))
        .order_by(Interview.held_on.desc(), Interview.id.desc())
    )
    if not membership_can(membership, Cap.SEE_HOUSEHOLD_DETAILS):
        query = query.where(Interview.kind != InterviewKind.FAMILY)
    return query


def get_interview(project: Any, interview_id: int, membership: Any) -> Interview | None:
    interview = db.session.get(Interview, interview_id)
    if interview is None or interview.project_id != project.id:
        return None
    return interview if can_see(membership, interview) else None


def _apply(interview: Interview, data: dict[str, Any], household: Household | None) -> list[str]:
    changed = []
    for name in FIELDS:
        value = data.get(name)
        if name in {"interviewee_role", "language", "notes"}:
            value = value or ""
        elif name in ENUMS and value is not None:
            value = ENUMS[name](value)
        if getattr(interview, name) != value:
            setattr(interview, name, value)
            changed.append(name)
    if interview.kind == InterviewKind.FAMILY:
        if interview.household_id != (household.id if household else None):
            interview.household = household
            changed.append("household")
    elif interview.household_id is not None:
        interview.household = None
        changed.append("household")
    return changed


def _sync_link(interview: Interview) -> None:
    """Keep the interview's link to its household (what the household page lists) in step."""
    for row in db.session.scalars(
        select(RecordLink).where(
            RecordLink.source_type == "interview",
            RecordLink.source_id == interview.id,
            RecordLink.target_type == "household",
        )
    ):
        if row.target_id != interview.household_id:
            db.session.delete(row)
    if interview.household is not None:
        links.add(interview, interview.household, "about")


def create_interview(
    project: Any, data: dict[str, Any], household: Household | None, by: Any
) -> Interview:
    interview = Interview(project_id=project.id, interviewer_id=by.id)
    _apply(interview, data, household)
    db.session.add(interview)
    db.session.flush()
    _sync_link(interview)
    audit.record(
        "interview_created",
        interview,
        project=project.id,
        details={"kind": interview.kind.value, "minor": interview.involves_minor},
    )
    return interview


def update_interview(
    interview: Interview, data: dict[str, Any], household: Household | None, version: int
) -> list[str]:
    """Save the form's values if the interview is still at `version`; names the changed fields.

    Raises EditConflict (nothing saved) when someone else saved it since the form was loaded."""
    if interview.withdrawn:
        raise ValueError("a withdrawn interview cannot be edited")
    check_version(interview, version)
    changed = _apply(interview, data, household)
    if changed:
        flush_or_conflict()
        _sync_link(interview)
        audit.record(
            "interview_updated",
            interview,
            project=interview.project_id,
            details={"fields": changed},
        )
    return changed


def media_problem(interview: Interview, content_type: str) -> str | None:
    """A recording is kept only when the consent covers audio (attachments' rule for
    interviews). Photos are not checked: a photo may be the signed consent form itself."""
    if content_type.startswith("audio/") and not interview.covers_audio:
        return _("The consent of this interview does not cover audio recording.")
    return None


def withdraw(interview: Interview, by: Any) -> None:
    interview.withdrawn_at = utcnow()
    interview.withdrawn_by_id = by.id
    audit.record("interview_consent_withdrawn", interview, project=interview.project_id)


def erase(interview: Interview, by: Any) -> None:
    """Wipe a withdrawn interview's content and files; a bare record remains for the audit."""
    scrub_after_commit(db.session)  # the old content must survive in no file (SQLite WAL)
    attachment_services.delete_all_for(interview)
    links.remove_all(interview)
    interview.notes = ""
    interview.interviewee_role = ""
    interview.language = ""
    interview.household = None
    interview.erased_at = utcnow()
    audit.record("interview_erased", interview, project=interview.project_id, actor=by)


def search_interviews(project: Any, membership: Any, terms: list[str], limit: int) -> list[Any]:
    if not membership_can(membership, Cap.EDIT_FIELD_RECORDS):
        return []
    query = (
        list_query(project, membership)
        .where(
            Interview.withdrawn_at.is_(None),
            search.matches([Interview.notes, Interview.interviewee_role], terms),
        )
        .limit(limit)
    )
    return [
        search.Hit(
            type="interview",
            id=interview.id,
            title=interview.label,
            url=url_for("interviews.view", slug=project.slug, interview_id=interview.id),
            snippet=search.snippet(
                plain_text(interview.notes) or interview.interviewee_role, terms
            ),
            when=interview.updated_at,
        )
        for interview in db.session.scalars(query)
    ]
