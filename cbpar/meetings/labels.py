"""Translatable labels for the meeting enumerations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from cbpar.meetings.models import (
    ActionStatus,
    AgeGroup,
    ApprovalMode,
    Gender,
    GuestRole,
    MeetingKind,
    MeetingStatus,
    RevisionKind,
)

KIND_LABELS = {
    MeetingKind.RESEARCH_TEAM: _l("Research team meeting"),
    MeetingKind.COMMUNITY: _l("Community meeting"),
    MeetingKind.VILLAGE_COMMITTEE: _l("Village committee meeting"),
}
STATUS_LABELS = {
    MeetingStatus.PLANNED: _l("Planned"),
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.MINUTES_APPROVED: _l("Minutes approved"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
}
GUEST_ROLE_LABELS = {
    GuestRole.VILLAGER: _l("Villager"),
    GuestRole.PARENT: _l("Parent"),
    GuestRole.GRANDPARENT_CAREGIVER: _l("Grandparent caregiver"),
    GuestRole.TEACHER: _l("Teacher"),
    GuestRole.COMMITTEE_MEMBER: _l("Village committee member"),
    GuestRole.OTHER: _l("Other"),
}
GENDER_LABELS = {
    Gender.WOMAN: _l("Woman"),
    Gender.MAN: _l("Man"),
    Gender.OTHER: _l("Other or not said"),
}
AGE_LABELS = {
    AgeGroup.UNDER_18: _l("Under 18"),
    AgeGroup.FROM_18_TO_35: _l("18 to 35"),
    AgeGroup.FROM_36_TO_59: _l("36 to 59"),
    AgeGroup.OVER_60: _l("60 or older"),
}
ACTION_STATUS_LABELS = {
    ActionStatus.OPEN: _l("Open"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.DROPPED: _l("Dropped"),
}
APPROVAL_LABELS = {
    ApprovalMode.COORDINATOR: _l("The coordinator approves minutes"),
    ApprovalMode.ATTENDEES: _l("Every member who attended approves minutes"),
}
REVISION_LABELS = {
    RevisionKind.DRAFT: _l("Draft"),
    RevisionKind.APPROVAL: _l("Approved"),
    RevisionKind.CORRECTION: _l("Correction"),
}

ALL = {
    "kind": KIND_LABELS,
    "status": STATUS_LABELS,
    "guest_role": GUEST_ROLE_LABELS,
    "gender": GENDER_LABELS,
    "age": AGE_LABELS,
    "action_status": ACTION_STATUS_LABELS,
    "approval": APPROVAL_LABELS,
    "revision": REVISION_LABELS,
}
