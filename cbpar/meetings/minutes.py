"""Minutes: drafts with revisions, the no-lost-edit rule, approval, and corrections."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from cbpar import audit
from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.editing import EditConflict
from cbpar.meetings import notices
from cbpar.meetings.models import (
    ApprovalMode,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesApproval,
    MinutesRevision,
    RevisionKind,
)
from cbpar.meetings.services import TransitionError, attendee_ids, members, settings_for
from cbpar.projects.models import Membership
from cbpar.security import Role


class ReasonRequired(ValueError):
    """Approved minutes change only with a stated reason."""


def minutes_editable(meeting: Meeting) -> bool:
    """Drafts before and after the meeting; corrections once approved; never when cancelled."""
    return meeting.status != MeetingStatus.CANCELLED


def _revision(minutes: Minutes, kind: RevisionKind, by: User, reason: str = "") -> MinutesRevision:
    number = (minutes.revisions[-1].number if minutes.revisions else 0) + 1
    revision = MinutesRevision(
        number=number, body=minutes.body, kind=kind, reason=reason, author_id=by.id
    )
    minutes.revisions.append(revision)
    return revision


def save_minutes(
    meeting: Meeting, body: str, version: int | None, by: User, reason: str = ""
) -> MinutesRevision | None:
    """Save the minutes if nobody saved since `version`; approved minutes need a reason.

    Returns the new revision, or None when the text did not change.
    """
    if meeting.status == MeetingStatus.CANCELLED:
        raise TransitionError("minutes of a cancelled meeting")
    minutes = meeting.minutes
    body = body.replace("\r\n", "\n")
    if minutes is None:
        if version not in (None, 0):
            raise EditConflict  # the minutes this editor saw no longer exist
        if not body.strip():
            return None
        minutes = Minutes(body="", updated_by_id=by.id)
        meeting.minutes = minutes
    elif version != minutes.version:
        raise EditConflict
    if minutes.id is not None and body == minutes.body:
        return None
    correcting = minutes.approved
    reason = reason.strip()
    if correcting and not reason:
        raise ReasonRequired
    minutes.body = body
    minutes.updated_by_id = by.id
    kind = RevisionKind.CORRECTION if correcting else RevisionKind.DRAFT
    revision = _revision(minutes, kind, by, reason if correcting else "")
    try:
        db.session.flush()
    except StaleDataError as exc:  # another request saved between our read and our write
        raise EditConflict from exc
    details: dict[str, Any] = {"revision": revision.number}
    if correcting:
        details["reason"] = reason
    audit.record(
        "minutes_corrected" if correcting else "minutes_saved",
        meeting,
        project=meeting.project_id,
        details=details,
    )
    if not correcting:
        notices.minutes_waiting(meeting, by)
    return revision


def current_revision_number(minutes: Minutes) -> int:
    return minutes.revisions[-1].number if minutes.revisions else 0


def can_approve(membership: Membership | None, meeting: Meeting) -> bool:
    """May this member approve (or add their approval to) the minutes now?"""
    return meeting.status == MeetingStatus.HELD and may_approve_once_held(membership, meeting)


def may_approve_once_held(membership: Membership | None, meeting: Meeting) -> bool:
    """Would this member be offered approval, once the meeting is marked as held?

    Minutes of a meeting not (yet) held are never approved: approval says the minutes record a
    meeting that took place, so the meeting is marked as held first. The pages still offer the
    step, with that hint, to whoever could approve then."""
    minutes = meeting.minutes
    if membership is None or minutes is None or minutes.approved or not minutes.body.strip():
        return False
    if meeting.status not in (MeetingStatus.HELD, MeetingStatus.PLANNED):
        return False
    if settings_for(meeting.project).approval == ApprovalMode.COORDINATOR:
        return membership.role == Role.COORDINATOR
    if membership.user_id not in attendee_ids(meeting):
        return False
    return not any(
        a.user_id == membership.user_id and a.revision_number == current_revision_number(minutes)
        for a in minutes.approvals
    )


def pending_approvers(meeting: Meeting) -> list[User]:
    """Attending members who have not yet approved the current revision (attendees mode)."""
    minutes = meeting.minutes
    number = current_revision_number(minutes) if minutes else 0
    done = (
        {a.user_id for a in minutes.approvals if a.revision_number == number} if minutes else set()
    )
    member_ids = {m.user_id for m in members(meeting.project)}
    return [
        a.user for a in meeting.attendances if a.user_id in member_ids and a.user_id not in done
    ]


def approve_minutes(meeting: Meeting, membership: Membership, by: User) -> bool:
    """Approve the minutes (coordinator), or add one attendee's approval.

    Returns True when the minutes are now approved and locked.
    """
    minutes = meeting.minutes
    if meeting.status != MeetingStatus.HELD:
        raise TransitionError("minutes can be approved only for a meeting that was held")
    if minutes is None or not minutes.body.strip():
        raise TransitionError("no minutes to approve")
    if minutes.approved:
        raise TransitionError("already approved")
    if not can_approve(membership, meeting):
        raise PermissionError
    mode = settings_for(meeting.project).approval
    number = current_revision_number(minutes)
    if mode == ApprovalMode.ATTENDEES:
        minutes.approvals.append(MinutesApproval(user_id=by.id, revision_number=number))
        db.session.flush()
        audit.record(
            "minutes_approval_given", meeting, project=meeting.project_id,
            details={"revision": number},
        )  # fmt: skip
        if pending_approvers(meeting):
            return False
    minutes.approved_at = utcnow()
    minutes.approved_by_id = by.id
    revision = _revision(minutes, RevisionKind.APPROVAL, by)
    meeting.status = MeetingStatus.MINUTES_APPROVED
    db.session.flush()
    audit.record(
        "minutes_approved",
        meeting,
        project=meeting.project_id,
        details={"revision": revision.number, "mode": mode.value},
    )
    notices.minutes_approved(meeting, by)
    return True


def get_revision(minutes: Minutes, number: int) -> MinutesRevision | None:
    return next((r for r in minutes.revisions if r.number == number), None)
