"""Projects, villages and memberships: the queries and changes the views call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import segno
from flask import Flask
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from cbpar import audit, events, registry
from cbpar.auth import services as auth_services
from cbpar.auth.models import Invitation, User
from cbpar.batch import Batch
from cbpar.db import db, utcnow
from cbpar.editing import apply_changes
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Cap, Role, role_can

PROJECT_FIELDS = (
    "name",
    "slug",
    "region",
    "description",
    "timezone",
    "map_center_lat",
    "map_center_lon",
    "map_zoom",
)
VILLAGE_FIELDS = ("name", "code", "aliases", "center_lat", "center_lon")


# Features add what is new for them to the project home page (from their integration): a
# function of (project, membership, batch) that asks the batch (cbpar.batch.Batch) for the
# figures and short lists it shows, and returns a function that makes (template, context) from
# them once the batch is fetched (or None to show nothing), or None to show nothing at all. So
# every panel's reads go in the overview's one SQL statement (cbpar/projects/overview.py).
# Panels show in the order of their `position`, whatever order features register in; a panel
# whose context says `first` comes first, and one that says `now` (a step of the research
# cycle, e.g. "vote") marks that step as under way.
PanelContent = tuple[str, dict[str, Any]] | None
HomePanel = Callable[[Project, Membership, Batch], Callable[[], PanelContent] | None]


def _panels(app: Flask | None = None) -> list[tuple[int, HomePanel]]:
    return registry.slot("home_panels", list, app)


def register_home_panel(app: Flask, panel: HomePanel, position: int) -> None:
    panels = _panels(app)
    if all(registered is not panel for _position, registered in panels):
        panels.append((position, panel))
        panels.sort(key=lambda item: item[0])


def registered_home_panels(app: Flask | None = None) -> list[HomePanel]:
    return [panel for _position, panel in _panels(app)]


class LastCoordinatorError(ValueError):
    """A project must keep at least one coordinator."""


def load_for_member(slug: str, user: User) -> tuple[Project | None, Membership | None]:
    row = db.session.execute(
        select(Project, Membership)
        .join(Membership, Membership.project_id == Project.id)
        .where(Project.slug == slug, Membership.user_id == user.id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def projects_for_user(user: User) -> list[tuple[Project, Membership]]:
    rows = db.session.execute(
        select(Project, Membership)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user.id)
        .order_by(Project.name)
    )
    return [(p, m) for p, m in rows]


def slug_taken(slug: str, exclude: Project | None = None) -> bool:
    query = select(Project.id).where(Project.slug == slug)
    if exclude is not None:
        query = query.where(Project.id != exclude.id)
    return db.session.scalar(query) is not None


def create_project(data: dict[str, Any], creator: User) -> Project:
    project = Project(**{f: data[f] for f in PROJECT_FIELDS if f in data})
    db.session.add(project)
    db.session.add(Membership(project=project, user=creator, role=Role.COORDINATOR))
    db.session.flush()
    audit.record("project_created", project, project=project, actor=creator)
    return project


def update_project(project: Project, data: dict[str, Any]) -> list[str]:
    changed = apply_changes(project, data, PROJECT_FIELDS)
    if changed:
        audit.record("project_updated", project, project=project, details={"fields": changed})
    return changed


# --- villages --------------------------------------------------------------------------------


def village_name_taken(project: Project, field: str, value: str, exclude: Village | None) -> bool:
    query = select(Village.id).where(
        Village.project_id == project.id, func.lower(getattr(Village, field)) == value.lower()
    )
    if exclude is not None:
        query = query.where(Village.id != exclude.id)
    return db.session.scalar(query) is not None


def get_village(project: Project, village_id: int) -> Village | None:
    return db.session.scalar(
        select(Village).where(Village.id == village_id, Village.project_id == project.id)
    )


def create_village(project: Project, data: dict[str, Any]) -> Village:
    village = Village(project=project, **{f: data[f] for f in VILLAGE_FIELDS})
    db.session.add(village)
    db.session.flush()
    audit.record("village_created", village, project=project)
    return village


def update_village(village: Village, data: dict[str, Any]) -> list[str]:
    changed = apply_changes(village, data, VILLAGE_FIELDS)
    if changed:
        audit.record(
            "village_updated", village, project=village.project, details={"fields": changed}
        )
    return changed


def delete_village(village: Village) -> None:
    audit.record(
        "village_deleted", village, project=village.project, details={"name": village.name}
    )
    db.session.delete(village)


# --- members ---------------------------------------------------------------------------------


def members_query(project: Project):
    return (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project.id)
        .options(joinedload(Membership.user))
        .order_by(Membership.role, func.lower(User.username))
    )


def member_counts(project: Project) -> dict[Role, int]:
    rows = db.session.execute(
        select(Membership.role, func.count())
        .where(Membership.project_id == project.id)
        .group_by(Membership.role)
    )
    return {Role(role): n for role, n in rows}


def member_ids(
    project_id: int, cap: Cap | None = None, roles: Iterable[Role | str] | None = None
) -> tuple[int, ...]:
    """The user ids of the project's active members whose role has `cap` (and is one of
    `roles`, if given), in id order: who hears of an event in the project."""
    allowed = [Role(r) for r in (roles if roles is not None else Role)]
    if cap is not None:
        allowed = [r for r in allowed if role_can(r, cap)]
    if not allowed:
        return ()
    return tuple(
        db.session.scalars(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.project_id == project_id,
                Membership.role.in_(allowed),
                User.active.is_(True),
            )
            .order_by(Membership.user_id)
        )
    )


def get_membership(project: Project, membership_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership)
        .where(Membership.id == membership_id, Membership.project_id == project.id)
        .options(joinedload(Membership.user))
    )


def add_member(project: Project, user: User, role: Role, by: User | None) -> Membership:
    """Make an existing account a member at once: for the server's command line only.

    On the web, members join by accepting an invitation (invite_member).
    """
    membership = Membership(project=project, user=user, role=role)
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "member_added", membership, project=project, actor=by, details={"role": role.value}
    )
    return membership


def is_member(project: Project, username: str) -> bool:
    user = auth_services.find_user(username)
    if user is None:
        return False
    query = select(Membership.id).where(
        Membership.project_id == project.id, Membership.user_id == user.id
    )
    return db.session.scalar(query) is not None


def _coordinators(project: Project) -> int:
    return member_counts(project).get(Role.COORDINATOR, 0)


def change_role(membership: Membership, role: Role) -> None:
    if membership.role == role:
        return
    if membership.role == Role.COORDINATOR and _coordinators(membership.project) <= 1:
        raise LastCoordinatorError
    old = membership.role
    membership.role = role
    audit.record(
        "member_role_changed",
        membership,
        project=membership.project,
        details={"from": old.value, "to": role.value},
    )


def remove_member(membership: Membership) -> None:
    if membership.role == Role.COORDINATOR and _coordinators(membership.project) <= 1:
        raise LastCoordinatorError
    audit.record(
        "member_removed",
        membership,
        project=membership.project,
        details={"user_id": membership.user_id, "role": membership.role.value},
    )
    db.session.delete(membership)


# --- invitations -----------------------------------------------------------------------------
#
# Adding a member always answers with an invitation link, whether or not an account by that
# name exists, and the pending invitation looks the same either way: a coordinator cannot
# learn which usernames exist, nor change anyone's password. The membership is made when the
# invitee accepts (a new person by choosing a password, an existing account by logging in).


def pending_invitations(project: Project) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.project_id == project.id,
                Invitation.used_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(func.lower(Invitation.username), Invitation.id)
        )
    )


def is_pending(invitation: Invitation) -> bool:
    """Not used, not cancelled, not expired: its link still works."""
    return invitation.used_at is None and invitation.expires_at > utcnow()


def invitation_qr(url: str, title: str) -> Markup:
    """The invitation link as a QR code to scan from the screen: an inline SVG drawn here, so
    the link never leaves the server (no QR service, no script). Only path data and the
    escaped `title` are in it, so it is safe to put in a page as it is."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True, title=title, svgclass="qr"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def get_invitation(project: Project, invitation_id: int) -> Invitation | None:
    """A pending invitation of this project."""
    return db.session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.project_id == project.id,
            Invitation.used_at.is_(None),
        )
    )


def invite_member(
    project: Project, username: str, display_name: str, role: Role, by: User
) -> tuple[Invitation, str]:
    """An invitation to join with this role, and its secret token to pass on.

    It replaces any pending invitation of this project for the same username. The display
    name is used only if a new account is made.
    """
    account = auth_services.find_user(username)
    same = func.lower(Invitation.username) == username.strip().lower()
    if account is not None:
        same = or_(same, Invitation.user_id == account.id)
    for old in db.session.scalars(
        select(Invitation).where(
            Invitation.project_id == project.id, Invitation.used_at.is_(None), same
        )
    ):
        auth_services.close_invitation(old)
    invitation, token = auth_services.new_invitation(
        username, display_name, project.id, role, by, account=account
    )
    # Nothing here says whether the account exists (the audit is part of project archives).
    audit.record(
        "invitation_created", invitation, project=project, actor=by, details={"role": role.value}
    )
    return invitation, token


def reissue_invitation(invitation: Invitation, by: User) -> tuple[Invitation, str]:
    """A new link for the same person and role; the old link stops working."""
    auth_services.close_invitation(invitation)
    new, token = auth_services.new_invitation(
        invitation.username,
        invitation.display_name,
        invitation.project_id,
        invitation.role,
        by,
        account=invitation.user,
    )
    audit.record(
        "invitation_created",
        new,
        project=invitation.project_id,
        actor=by,
        details={"role": new.role.value, "replaces": invitation.id},
    )
    return new, token


def cancel_invitation(invitation: Invitation, by: User) -> None:
    auth_services.close_invitation(invitation)
    audit.record("invitation_cancelled", invitation, project=invitation.project_id, actor=by)


def reinvite(membership: Membership, by: User) -> tuple[Invitation, str]:
    """A new link for a member who has never set a password (added before invitations
    carried a project); it sets their first password and keeps their role."""
    user = membership.user
    return invite_member(membership.project, user.username, user.display_name, membership.role, by)


def accept_invitation(invitation: Invitation, account: User) -> Membership:
    """`account` joins the project (it has logged in, or was just made by the invitation).

    An account that is a member already keeps its role. The invitation is used up.
    """
    invited = auth_services.invitee(invitation)
    if not account.active or invited is None or invited.id != account.id:
        raise auth_services.InvitationRefused
    auth_services.close_invitation(invitation)
    membership = db.session.scalar(
        select(Membership).where(
            Membership.project_id == invitation.project_id, Membership.user_id == account.id
        )
    )
    if membership is None:
        membership = Membership(
            project_id=invitation.project_id, user=account, role=invitation.role
        )
        db.session.add(membership)
        db.session.flush()
        audit.record(
            "member_added",
            membership,
            project=invitation.project_id,
            actor=account,
            details={"role": invitation.role.value},
        )
    audit.record("invitation_accepted", invitation, project=invitation.project_id, actor=account)
    project = invitation.project
    if project is not None:
        events.emit(
            events.Event(
                "invitation_accepted",
                project.id,
                member_ids(project.id, roles=[Role.COORDINATOR]),
                {"role": membership.role.value},
                events.path_for("projects.members", slug=project.slug),
                dedupe=f"invitation_accepted:{invitation.id}",
                actor_id=account.id,
            )
        )
    return membership


# --- site administration -----------------------------------------------------------------------


def users_query():
    return select(User).order_by(func.lower(User.username))


def set_user_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        auth_services.end_all_sessions(user)
    audit.record("user_enabled" if active else "user_disabled", user)


def members(project: Project, limit: int) -> list[Membership]:
    """The project's members as `members_query` orders them, at most `limit`."""
    return list(db.session.scalars(members_query(project).limit(limit)))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
