"""Projects, villages and memberships: the queries and changes the views call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from cbpar import audit
from cbpar.auth import services as auth_services
from cbpar.auth.models import User
from cbpar.db import db
from cbpar.editing import apply_changes
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role

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
VILLAGE_FIELDS = ("name", "code", "center_lat", "center_lon")


# Features add what is new for them to the project home page: a function of (project,
# membership) returning (template, context) to include, or None to show nothing.
HomePanel = Callable[[Project, Membership], tuple[str, dict[str, Any]] | None]
HOME_PANELS: list[HomePanel] = []


def register_home_panel(panel: HomePanel) -> HomePanel:
    if panel not in HOME_PANELS:
        HOME_PANELS.append(panel)
    return panel


def home_panels(project: Project, membership: Membership) -> list[tuple[str, dict[str, Any]]]:
    return [shown for panel in HOME_PANELS if (shown := panel(project, membership))]


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


def get_membership(project: Project, membership_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership)
        .where(Membership.id == membership_id, Membership.project_id == project.id)
        .options(joinedload(Membership.user))
    )


def add_member(
    project: Project, username: str, display_name: str, role: Role, by: User
) -> tuple[Membership, str | None]:
    """Add an existing account, or create one; a new account gets a one-time invitation link."""
    user = auth_services.find_user(username)
    token = None
    if user is None:
        user = User(username=username.strip(), display_name=display_name.strip())
        db.session.add(user)
        db.session.flush()
        token = auth_services.create_invitation(user, by)
        audit.record("user_invited", user, project=project)
    membership = Membership(project=project, user=user, role=role)
    db.session.add(membership)
    db.session.flush()
    audit.record("member_added", membership, project=project, details={"role": role.value})
    return membership, token


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


def reinvite(membership: Membership, by: User) -> str:
    token = auth_services.create_invitation(membership.user, by)
    audit.record("user_invited", membership.user, project=membership.project)
    return token


# --- site administration -----------------------------------------------------------------------


def users_query():
    return select(User).order_by(func.lower(User.username))


def set_user_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        auth_services.end_all_sessions(user)
    audit.record("user_enabled" if active else "user_disabled", user)
