"""Meetings: the queries and changes the views and the API call (calendar feeds: `feeds`).

Services add and flush; the request commits once. Rules of the status flow live here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from cbpar import audit, links, search
from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.editing import apply_changes, check_version, flush_or_conflict
from cbpar.meetings import notices
from cbpar.meetings.models import (
    ActionItem,
    ActionStatus,
    AgeGroup,
    ApprovalMode,
    Attendance,
    Decision,
    Gender,
    Guest,
    GuestRole,
    Meeting,
    MeetingSettings,
    MeetingStatus,
    Minutes,
)
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Cap, membership_can

MEETING_FIELDS = ("kind", "title", "starts_at", "ends_at", "place", "village_id", "agenda")
# Guests counted as villagers in participation figures.
VILLAGER_ROLES = {GuestRole.VILLAGER, GuestRole.PARENT, GuestRole.GRANDPARENT_CAREGIVER}
YOUNG = {AgeGroup.UNDER_18, AgeGroup.FROM_18_TO_35}


class TransitionError(ValueError):
    """The meeting's status does not allow this (e.g. approving minutes of a meeting not held)."""


# --- time ------------------------------------------------------------------------------------


def to_utc(local: datetime, project: Project) -> datetime:
    """A naive local time typed in the project's time zone, as an aware UTC datetime."""
    return local.replace(tzinfo=ZoneInfo(project.timezone)).astimezone(ZoneInfo("UTC"))


def to_local(value: datetime, project: Project) -> datetime:
    return value.astimezone(ZoneInfo(project.timezone))


def project_today(project: Project) -> date:
    return datetime.now(ZoneInfo(project.timezone)).date()


# --- settings --------------------------------------------------------------------------------


def settings_for(project: Project) -> MeetingSettings:
    found = db.session.get(MeetingSettings, project.id)
    return found or MeetingSettings(project_id=project.id, approval=ApprovalMode.COORDINATOR)


def set_approval_mode(project: Project, mode: ApprovalMode) -> None:
    current = db.session.get(MeetingSettings, project.id)
    if current is None:
        current = MeetingSettings(project_id=project.id)
        db.session.add(current)
    if current.approval != mode:
        current.approval = mode
        audit.record("meeting_settings_updated", project=project, details={"approval": mode.value})
    db.session.flush()


# --- meetings --------------------------------------------------------------------------------


def meetings_query(project: Project, status: MeetingStatus | None = None):
    query = select(Meeting).where(Meeting.project_id == project.id)
    if status is not None:
        query = query.where(Meeting.status == status)
    return query.options(joinedload(Meeting.village)).order_by(Meeting.starts_at.desc())


def with_details(query):
    """Load what lists and the API show of each meeting, in a fixed number of queries."""
    return query.options(
        selectinload(Meeting.attendances),
        selectinload(Meeting.guests),
        selectinload(Meeting.decisions),
        selectinload(Meeting.action_items).joinedload(ActionItem.assignee),
        selectinload(Meeting.minutes),
    )


def get_meeting(project: Project, meeting_id: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting).where(Meeting.id == meeting_id, Meeting.project_id == project.id)
    )


def upcoming_query(project: Project, limit: int = 5):
    return (
        select(Meeting)
        .where(
            Meeting.project_id == project.id,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at >= utcnow(),
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    )


def upcoming(project: Project, limit: int = 5) -> list[Meeting]:
    return list(db.session.scalars(upcoming_query(project, limit)))


def village_in(project: Project, village_id: int | None) -> Village | None:
    if village_id is None:
        return None
    return db.session.scalar(
        select(Village).where(Village.id == village_id, Village.project_id == project.id)
    )


def create_meeting(project: Project, data: dict[str, Any], by: User) -> Meeting:
    if data.get("village_id") is not None and village_in(project, data["village_id"]) is None:
        raise ValueError("village not in project")
    meeting = Meeting(project_id=project.id, created_by_id=by.id, **data)
    db.session.add(meeting)
    db.session.flush()
    audit.record("meeting_created", meeting, project=project)
    notices.meeting_created(meeting, by)
    return meeting


def update_meeting(meeting: Meeting, data: dict[str, Any], version: int) -> list[str]:
    """Save the form's values if the meeting is still at `version`; names the changed fields."""
    check_version(meeting, version)
    if (
        data.get("village_id") is not None
        and village_in(meeting.project, data["village_id"]) is None
    ):
        raise ValueError("village not in project")
    changed = apply_changes(meeting, data, MEETING_FIELDS)
    if changed:
        flush_or_conflict()
        audit.record(
            "meeting_updated", meeting, project=meeting.project_id, details={"fields": changed}
        )
        notices.meeting_updated(meeting, changed)
    return changed


# Which status each action leads to, and from which statuses it may be taken.
TRANSITIONS: dict[str, tuple[set[MeetingStatus], MeetingStatus]] = {
    "hold": ({MeetingStatus.PLANNED}, MeetingStatus.HELD),
    "cancel": ({MeetingStatus.PLANNED}, MeetingStatus.CANCELLED),
    "reopen": ({MeetingStatus.CANCELLED, MeetingStatus.HELD}, MeetingStatus.PLANNED),
}


def change_status(meeting: Meeting, action: str) -> MeetingStatus:
    """Hold, cancel or re-plan a meeting; minutes approval has its own function."""
    if action not in TRANSITIONS:
        raise TransitionError(action)
    allowed, to = TRANSITIONS[action]
    if meeting.status not in allowed:
        raise TransitionError(action)
    if action == "reopen" and meeting.minutes is not None and meeting.minutes.approved:
        raise TransitionError(action)
    before = meeting.status
    meeting.status = to
    audit.record(
        "meeting_status_changed",
        meeting,
        project=meeting.project_id,
        details={"from": before.value, "to": to.value},
    )
    notices.status_changed(meeting, before)
    return to


def allowed_actions(meeting: Meeting) -> list[str]:
    return [a for a, (allowed, _to) in TRANSITIONS.items() if meeting.status in allowed]


# --- attendance ------------------------------------------------------------------------------


def members(project: Project) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.project_id == project.id)
            .options(joinedload(Membership.user))
            .order_by(Membership.role, func.lower(User.username))
        )
    )


def attendee_ids(meeting: Meeting) -> set[int]:
    return {a.user_id for a in meeting.attendances}


def set_attendance(meeting: Meeting, user_ids: set[int]) -> tuple[int, int]:
    """Make exactly these members present; other ids (not members) are ignored."""
    member_ids = {m.user_id for m in members(meeting.project)}
    wanted = user_ids & member_ids
    present = {a.user_id: a for a in meeting.attendances}
    added = wanted - present.keys()
    removed = present.keys() - wanted
    for user_id in removed:
        meeting.attendances.remove(present[user_id])
    for user_id in sorted(added):
        meeting.attendances.append(Attendance(user_id=user_id))
    if added or removed:
        db.session.flush()
        audit.record(
            "meeting_attendance_changed",
            meeting,
            project=meeting.project_id,
            details={"added": len(added), "removed": len(removed)},
        )
    return len(added), len(removed)


def add_guest(meeting: Meeting, data: dict[str, Any]) -> Guest:
    guest = Guest(**data)
    meeting.guests.append(guest)
    db.session.flush()
    audit.record("meeting_guest_added", meeting, project=meeting.project_id)
    return guest


def remove_guest(meeting: Meeting, guest_id: int) -> bool:
    for guest in meeting.guests:
        if guest.id == guest_id:
            meeting.guests.remove(guest)
            audit.record("meeting_guest_removed", meeting, project=meeting.project_id)
            return True
    return False


@dataclass
class Participation:
    """Who took part: members by role and guests by role, gender and age group."""

    meetings: int = 0
    members: int = 0
    guests: int = 0
    villagers: int = 0
    women: int = 0
    young: int = 0
    committee: int = 0
    by_role: Counter[str] = field(default_factory=Counter)
    by_gender: Counter[str] = field(default_factory=Counter)
    by_age: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.members + self.guests

    def as_dict(self) -> dict[str, int]:
        return {
            "members": self.members,
            "guests": self.guests,
            "total": self.total,
            "villagers": self.villagers,
            "women": self.women,
            "young_people": self.young,
        }


def _add_guests(summary: Participation, guests: list[Guest]) -> None:
    for guest in guests:
        summary.guests += 1
        summary.by_role[guest.role.value] += 1
        summary.by_gender[guest.gender.value] += 1
        if guest.age_group is not None:
            summary.by_age[guest.age_group.value] += 1
        summary.villagers += guest.role in VILLAGER_ROLES
        summary.women += guest.gender == Gender.WOMAN
        summary.young += guest.age_group in YOUNG
        summary.committee += guest.role == GuestRole.COMMITTEE_MEMBER


def participation(meeting: Meeting) -> Participation:
    summary = Participation(meetings=1, members=len(meeting.attendances))
    _add_guests(summary, meeting.guests)
    return summary


def project_participation(project: Project) -> Participation:
    """Over every meeting held (minutes approved or not), in three queries."""
    held = [MeetingStatus.HELD, MeetingStatus.MINUTES_APPROVED]
    ids = select(Meeting.id).where(Meeting.project_id == project.id, Meeting.status.in_(held))
    summary = Participation(
        meetings=db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0,
        members=db.session.scalar(
            select(func.count(Attendance.id)).where(Attendance.meeting_id.in_(ids))
        )
        or 0,
    )
    _add_guests(summary, list(db.session.scalars(select(Guest).where(Guest.meeting_id.in_(ids)))))
    return summary


# --- decisions and action items --------------------------------------------------------------


def add_decision(meeting: Meeting, text: str, by: User) -> Decision:
    decision = Decision(project_id=meeting.project_id, text=text.strip(), created_by_id=by.id)
    meeting.decisions.append(decision)
    db.session.flush()
    audit.record("decision_added", decision, project=meeting.project_id)
    return decision


def delete_decision(meeting: Meeting, decision_id: int) -> bool:
    for decision in meeting.decisions:
        if decision.id == decision_id:
            links.remove_all(decision)
            audit.record("decision_deleted", decision, project=meeting.project_id)
            meeting.decisions.remove(decision)
            return True
    return False


def get_decision(project: Project, decision_id: int) -> Decision | None:
    return db.session.scalar(
        select(Decision).where(Decision.id == decision_id, Decision.project_id == project.id)
    )


def decisions_query(project: Project):
    return (
        select(Decision)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .where(Decision.project_id == project.id)
        .options(joinedload(Decision.meeting))
        .order_by(Meeting.starts_at.desc(), Decision.id)
    )


def add_action_item(meeting: Meeting, data: dict[str, Any], by: User) -> ActionItem:
    if data.get("assignee_id") is not None:
        member_ids = {m.user_id for m in members(meeting.project)}
        if data["assignee_id"] not in member_ids:
            raise ValueError("assignee is not a member")
        data = {**data, "assignee_name": ""}
    item = ActionItem(project_id=meeting.project_id, **data)
    meeting.action_items.append(item)
    db.session.flush()
    audit.record("action_item_added", item, project=meeting.project_id)
    notices.action_assigned(item, meeting, by)
    return item


def get_action_item(project: Project, item_id: int) -> ActionItem | None:
    return db.session.scalar(
        select(ActionItem).where(ActionItem.id == item_id, ActionItem.project_id == project.id)
    )


def can_update_action(membership: Membership | None, item: ActionItem) -> bool:
    """Writers, and the member the item is assigned to."""
    if membership_can(membership, Cap.WRITE_MEETINGS):
        return True
    return membership is not None and item.assignee_id == membership.user_id


def set_action_status(item: ActionItem, status: ActionStatus) -> None:
    if item.status != status:
        before = item.status
        item.status = status
        audit.record(
            "action_item_status_changed",
            item,
            project=item.project_id,
            details={"from": before.value, "to": status.value},
        )


def action_items_query(project: Project, user: User | None = None, open_only: bool = False):
    query = (
        select(ActionItem)
        .where(ActionItem.project_id == project.id)
        .options(joinedload(ActionItem.assignee), joinedload(ActionItem.meeting))
    )
    if user is not None:
        query = query.where(ActionItem.assignee_id == user.id)
    if open_only:
        query = query.where(ActionItem.status == ActionStatus.OPEN)
    # Open first, then by due date (none last), then newest.
    return query.order_by(
        (ActionItem.status != ActionStatus.OPEN),
        ActionItem.due_on.is_(None),
        ActionItem.due_on,
        ActionItem.id.desc(),
    )


def my_open_items(project: Project, user: User, limit: int = 10) -> list[ActionItem]:
    return list(db.session.scalars(action_items_query(project, user, True).limit(limit)))


# --- discussed records -----------------------------------------------------------------------

# Record types a meeting can discuss, when their feature has registered them with links.
DISCUSSABLE = ("memo", "need", "saved_analysis", "initiative", "interview", "facility")
MAX_CHOICES_PER_TYPE = 100


def discussable_choices(project: Project, membership: Membership) -> list[tuple[str, list]]:
    """Records this member may mark as discussed, grouped by kind."""
    return links.choices(project.id, membership, DISCUSSABLE, MAX_CHOICES_PER_TYPE)


def resolve_discussable(project: Project, membership: Membership, value: str) -> Any | None:
    return links.resolve_choice(project.id, membership, DISCUSSABLE, value)


def discussed(meeting: Meeting, membership: Membership) -> list[links.Linked]:
    return links.targets_of(meeting, membership, "discussed")


def discussed_in(record: Any, membership: Membership) -> list[links.Linked]:
    """The meetings (this member may see) where a record was discussed."""
    return [
        linked
        for linked in links.sources_of(record, membership, "discussed")
        if linked.type.name == "meeting"
    ]


# --- search ----------------------------------------------------------------------------------


def search_minutes(project: Project, membership: Membership, terms: list[str], limit: int):

    if not membership_can(membership, Cap.READ_MEETINGS):
        return []
    rows = db.session.execute(
        select(Meeting, Minutes)
        .join(Minutes, Minutes.meeting_id == Meeting.id)
        .where(Meeting.project_id == project.id, search.matches([Minutes.body], terms))
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    )
    return [
        search.Hit(
            type="minutes",
            id=meeting.id,
            title=meeting.title,
            url=url_for("meetings.meeting", slug=project.slug, meeting_id=meeting.id),
            snippet=search.snippet(minutes.body, terms),
            when=meeting.starts_at,
        )
        for meeting, minutes in rows
    ]
