"""Roles and named capabilities: who may do what in a project, in one place.

Views check a capability with @require, templates with can(), tests walk the matrix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask import abort, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

if TYPE_CHECKING:
    from cbpar.projects.models import Membership


class Role(StrEnum):
    COORDINATOR = "coordinator"
    RESEARCHER = "researcher"
    FIELD_WORKER = "field_worker"
    COMMITTEE = "committee"
    OBSERVER = "observer"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.COORDINATOR: _l("Coordinator"),
    Role.RESEARCHER: _l("Researcher"),
    Role.FIELD_WORKER: _l("Field worker"),
    Role.COMMITTEE: _l("Committee member"),
    Role.OBSERVER: _l("Observer"),
}


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


def can(cap: Cap | str) -> bool:
    """For templates: may the current user do this in the current project?"""
    return membership_can(g.get("membership"), Cap(cap))


def _guard(
    label: str | Cap, check: Callable[..., Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view: log-in first, then `check(kwargs)`, which may abort or rewrite kwargs."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from cbpar.extensions import login_manager

                return login_manager.unauthorized()
            return view(*args, **check(kwargs))

        wrapped.required_capability = label  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require(cap: Cap) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Load the project named by `slug` for a member, and check one capability.

    Non-members get 404 (so project names do not leak); members without the capability 403.
    The view receives `project` instead of `slug`.
    """

    def check(kwargs: dict[str, Any]) -> dict[str, Any]:
        from cbpar.projects.services import load_for_member

        project, membership = load_for_member(kwargs.pop("slug"), current_user)
        if project is None:
            abort(404)
        g.project, g.membership = project, membership
        if not membership_can(membership, cap):
            abort(403)
        return {**kwargs, "project": project}

    return _guard(cap, check)


def _admin_only(kwargs: dict[str, Any]) -> dict[str, Any]:
    if not current_user.is_admin:
        abort(403)
    return kwargs


require_admin = _guard("site_admin", _admin_only)
require_login = _guard("authenticated", lambda kwargs: kwargs)


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as open to anyone (log-in page, health check), so the route audit knows."""
    view.required_capability = "public"  # type: ignore[attr-defined]
    return view
