"""Roles and named capabilities: who may do what in a project, in one place.

Pure rules, no request: views check a capability with cbpar.access.require, templates with
can() (also in cbpar.access), services with membership_can(); tests walk the matrix.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.projects.models import Membership


class Role(LabelledEnum):
    """A member's role; its description says in plain words what ROLE_CAPABILITIES allow."""

    COORDINATOR = (
        "coordinator",
        _l("Coordinator"),
        _l(
            "Runs the project: settings, villages, members and roles. Can do all a researcher does."
        ),
    )
    RESEARCHER = (
        "researcher",
        _l("Researcher"),
        _l(
            "Does all a field worker does, and also writes meetings and minutes, runs votes and"
            " edits initiatives and funding."
        ),
    )
    FIELD_WORKER = (
        "field_worker",
        _l("Field worker"),
        _l(
            "Sees and records households (with their details), facilities and interviews; writes"
            " memos, reads meetings, comments, proposes needs and votes."
        ),
    )
    COMMITTEE = (
        "committee",
        _l("Committee member"),
        _l(
            "Sees households on the map without their details; reads meetings, initiatives and"
            " memos shared with the community; comments, proposes needs and votes."
        ),
    )
    OBSERVER = (
        "observer",
        _l("Observer"),
        _l(
            "Sees village totals and the initiatives with their funding. Sees no household and"
            " cannot comment or vote."
        ),
    )


class Cap(StrEnum):
    """Things a member may do in a project (the table in the product brief)."""

    VIEW_PROJECT = "view_project"
    MANAGE_PROJECT = "manage_project"  # settings, villages, members and roles
    VIEW_MEMBERS = "view_members"
    SEE_HOUSEHOLD_DETAILS = "see_household_details"  # sensitive fields
    SEE_HOUSEHOLD_POINTS = "see_household_points"  # each household on the map
    SEE_VILLAGE_TOTALS = "see_village_totals"  # aggregated figures only
    EDIT_FIELD_RECORDS = "edit_field_records"  # households, facilities, interviews
    WRITE_MEMOS = "write_memos"
    SEE_TEAM_MEMOS = "see_team_memos"
    SEE_COMMUNITY_MEMOS = "see_community_memos"
    COMMENT = "comment"
    WRITE_MEETINGS = "write_meetings"
    READ_MEETINGS = "read_meetings"
    PROPOSE_NEEDS = "propose_needs"
    MANAGE_VOTES = "manage_votes"
    VOTE = "vote"  # still subject to each round's eligibility
    EDIT_INITIATIVES = "edit_initiatives"
    READ_INITIATIVES = "read_initiatives"
    SEE_CHILDREN = "see_children"  # children, their contacts and services (field roles)
    RECORD_CARE = "record_care"  # add and edit children and their contact logs


_TEAM = {
    Cap.VIEW_PROJECT,
    Cap.VIEW_MEMBERS,
    Cap.SEE_HOUSEHOLD_DETAILS,
    Cap.SEE_HOUSEHOLD_POINTS,
    Cap.SEE_VILLAGE_TOTALS,
    Cap.EDIT_FIELD_RECORDS,
    Cap.WRITE_MEMOS,
    Cap.SEE_TEAM_MEMOS,
    Cap.SEE_COMMUNITY_MEMOS,
    Cap.COMMENT,
    Cap.READ_MEETINGS,
    Cap.PROPOSE_NEEDS,
    Cap.VOTE,
    Cap.READ_INITIATIVES,
    Cap.SEE_CHILDREN,
    Cap.RECORD_CARE,
}
_RESEARCH = _TEAM | {Cap.WRITE_MEETINGS, Cap.MANAGE_VOTES, Cap.EDIT_INITIATIVES}

ROLE_CAPABILITIES: dict[Role, frozenset[Cap]] = {
    Role.COORDINATOR: frozenset(_RESEARCH | {Cap.MANAGE_PROJECT}),
    Role.RESEARCHER: frozenset(_RESEARCH),
    Role.FIELD_WORKER: frozenset(_TEAM),
    Role.COMMITTEE: frozenset(
        {
            Cap.VIEW_PROJECT,
            Cap.VIEW_MEMBERS,
            Cap.SEE_HOUSEHOLD_POINTS,
            Cap.SEE_VILLAGE_TOTALS,
            Cap.SEE_COMMUNITY_MEMOS,
            Cap.COMMENT,
            Cap.READ_MEETINGS,
            Cap.PROPOSE_NEEDS,
            Cap.VOTE,
            Cap.READ_INITIATIVES,
        }
    ),
    Role.OBSERVER: frozenset({Cap.VIEW_PROJECT, Cap.SEE_VILLAGE_TOTALS, Cap.READ_INITIATIVES}),
}


def role_can(role: Role | str | None, cap: Cap) -> bool:
    if role is None:
        return False
    return cap in ROLE_CAPABILITIES[Role(role)]


def membership_can(membership: Membership | None, cap: Cap) -> bool:
    return membership is not None and role_can(membership.role, cap)
