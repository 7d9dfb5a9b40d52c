"""Initiatives: reading and changing them and their milestones (audited, never committed
here). Funding is in `funding`, results in `results`, the public link in `transparency`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from cbpar import audit, events, links
from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.editing import EditConflict, apply_changes, check_version, flush_or_conflict
from cbpar.initiatives.models import (
    Contribution,
    Indicator,
    Initiative,
    InitiativeRole,
    InitiativeStatus,
    Milestone,
    initiative_need,
)
from cbpar.mapping import analysis
from cbpar.mapping import services as mapping_services
from cbpar.mapping.models import Facility, FacilityStatus
from cbpar.needs import services as need_services
from cbpar.needs.models import Need, NeedStatus
from cbpar.projects.models import Membership, Project
from cbpar.projects.services import member_ids
from cbpar.security import Cap

INITIATIVE_FIELDS = (
    "title",
    "description",
    "status",
    "lead_user_id",
    "lead_organisation",
    "budget_target",
    "currency",
    "spent",
    "starts_on",
    "ends_on",
    "facility_id",
)
MILESTONE_FIELDS = ("title", "planned_on", "done_on", "note")
# Needs an initiative may answer: the confirmed ones (and those already being answered).
ANSWERABLE = (NeedStatus.CONFIRMED, NeedStatus.BEING_ADDRESSED, NeedStatus.MET)
# How far an initiative's facility has come: it only ever moves forward.
FACILITY_STEP = {
    FacilityStatus.PLANNED: 0,
    FacilityStatus.CLOSED: 0,
    FacilityStatus.UNDER_CONSTRUCTION: 1,
    FacilityStatus.OPERATING: 2,
}


def save_changes(record: Any, data: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    """Apply the changed fields of a funder, contribution, milestone or indicator; audit them."""
    changed = apply_changes(record, data, fields)
    if changed:
        db.session.flush()
        audit.record(
            f"{record.__tablename__}_updated",
            record,
            project=record.project_id,
            details={"fields": changed},
        )
    return changed


# --- reading ---------------------------------------------------------------------------------


def _full(query: Any) -> Any:
    """Everything an initiative page shows, loaded with a fixed number of queries."""
    return query.options(
        selectinload(Initiative.needs),
        selectinload(Initiative.roles),
        selectinload(Initiative.contributions).joinedload(Contribution.funder),
        selectinload(Initiative.milestones),
        selectinload(Initiative.indicators).joinedload(Indicator.village),
        joinedload(Initiative.lead_user),
        joinedload(Initiative.facility),
    )


def list_initiatives(project: Project) -> list[Initiative]:
    query = select(Initiative).where(Initiative.project_id == project.id)
    query = query.order_by(Initiative.starts_on.is_(None), Initiative.starts_on, Initiative.id)
    return list(db.session.scalars(_full(query)))


def get_initiative(project: Project, initiative_id: int) -> Initiative | None:
    return db.session.scalar(
        _full(select(Initiative)).where(
            Initiative.id == initiative_id, Initiative.project_id == project.id
        )
    )


def answerable_needs(project: Project, initiative: Initiative | None = None) -> list[Need]:
    """Needs that may be linked: confirmed or already answered, plus those linked now."""
    linked = {n.id for n in initiative.needs} if initiative else set()
    rows = db.session.scalars(
        select(Need).where(Need.project_id == project.id).order_by(Need.title)
    )
    return [n for n in rows if n.status in ANSWERABLE or n.id in linked]


def linkable_facilities(project: Project) -> list[Facility]:
    return list(
        db.session.scalars(
            select(Facility).where(Facility.project_id == project.id).order_by(Facility.name)
        )
    )


def lead_candidates(project: Project) -> list[Any]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.project_id == project.id)
            .order_by(User.display_name, User.username)
        )
    )


def initiatives_for_need(need: Need) -> list[Initiative]:
    return list(
        db.session.scalars(
            select(Initiative)
            .join(initiative_need, initiative_need.c.initiative_id == Initiative.id)
            .where(initiative_need.c.need_id == need.id)
            .order_by(Initiative.id)
        )
    )


# --- changing initiatives --------------------------------------------------------------------


def _check_refs(project: Project, data: dict[str, Any]) -> None:
    if data.get("facility_id") is not None:
        facility = db.session.get(Facility, data["facility_id"])
        if facility is None or facility.project_id != project.id:
            raise ValueError("facility not in project")
    if data.get("lead_user_id") is not None:
        member = db.session.scalar(
            select(Membership.id).where(
                Membership.project_id == project.id, Membership.user_id == data["lead_user_id"]
            )
        )
        if member is None:
            raise ValueError("lead is not a member")


def _set_roles(initiative: Initiative, roles: list[tuple[str, str]]) -> bool:
    old = [(r.party, r.task) for r in initiative.roles]
    if old == roles:
        return False
    initiative.roles.clear()
    db.session.flush()
    for position, (party, task) in enumerate(roles):
        initiative.roles.append(InitiativeRole(position=position, party=party, task=task))
    return True


def set_needs(initiative: Initiative, need_ids: list[int]) -> list[str]:
    """Link the needs answered; each newly answered confirmed need becomes "being addressed"."""
    wanted = set(need_ids)
    current = {n.id for n in initiative.needs}
    if wanted == current:
        return []
    needs = list(
        db.session.scalars(
            select(Need).where(Need.project_id == initiative.project_id, Need.id.in_(wanted))
        )
    )
    if len(needs) != len(wanted):
        raise ValueError("need not in project")
    initiative.needs = sorted(needs, key=lambda n: n.title)
    if initiative.status != InitiativeStatus.CANCELLED:
        for need in needs:
            if need.id not in current and need.status == NeedStatus.CONFIRMED:
                need_services.set_status(need, NeedStatus.BEING_ADDRESSED)
    return ["needs"]


def _follow_facility(initiative: Initiative, opened_on: date | None) -> None:
    """Move the linked facility forward with the initiative: planned, building, operating."""
    facility = initiative.facility
    if facility is None or initiative.status == InitiativeStatus.CANCELLED:
        return
    wanted = {
        InitiativeStatus.IN_PROGRESS: FacilityStatus.UNDER_CONSTRUCTION,
        InitiativeStatus.COMPLETED: FacilityStatus.OPERATING,
    }.get(initiative.status, FacilityStatus.PLANNED)
    if FACILITY_STEP[wanted] <= FACILITY_STEP[facility.status]:
        return  # never backwards, and an operating facility that is improved stays open
    data: dict[str, Any] = {"status": wanted}
    if wanted == FacilityStatus.OPERATING:
        data["opened_on"] = (
            opened_on or initiative.ends_on or analysis.project_today(facility.project)
        )
    mapping_services.update_facility(facility, data, facility.version)
    audit.record(
        "facility_followed_initiative",
        initiative,
        project=initiative.project_id,
        details={"facility_id": facility.id, "to": wanted.value},
    )


def create_initiative(project: Project, data: dict[str, Any], by: Any) -> Initiative:
    _check_refs(project, data)
    initiative = Initiative(
        project_id=project.id,
        created_by_id=getattr(by, "id", None),
        **{f: data[f] for f in INITIATIVE_FIELDS if f in data},
    )
    db.session.add(initiative)
    db.session.flush()
    _set_roles(initiative, data.get("roles", []))
    set_needs(initiative, data.get("need_ids", []))
    db.session.flush()
    db.session.refresh(initiative, ["facility"])
    _follow_facility(initiative, data.get("opened_on"))
    audit.record(
        "initiative_created",
        initiative,
        project=project,
        details={"fields": [f for f in INITIATIVE_FIELDS if data.get(f) not in (None, "")]},
    )
    return initiative


def update_initiative(
    initiative: Initiative, data: dict[str, Any], version: int | None = None
) -> list[str]:
    """Save an edit; returns the fields that changed (status changes move the facility).

    With `version` (the one an edit form was loaded with), the edit is refused with EditConflict
    if the initiative changed since; the other flows changing an initiative pass none."""
    if version is not None:
        check_version(initiative, version)
    project_id = initiative.project_id
    _check_refs(project_of(project_id), data)
    try:
        changed = apply_changes(initiative, data, INITIATIVE_FIELDS)
        columns_changed = bool(changed)
        if "roles" in data and _set_roles(initiative, data["roles"]):
            changed.append("roles")
        if "need_ids" in data:
            changed += set_needs(initiative, data["need_ids"])
    except StaleDataError as exc:  # an intermediate flush met a save that raced ours
        raise EditConflict from exc
    if changed:
        if not columns_changed:  # roles or needs only: write the row, so the version moves on
            initiative.updated_at = utcnow()
        flush_or_conflict()
        if "facility_id" in changed:
            db.session.refresh(initiative, ["facility"])
        audit.record(
            "initiative_updated", initiative, project=project_id, details={"fields": changed}
        )
    if "status" in changed or "facility_id" in changed:
        _follow_facility(initiative, data.get("opened_on"))
    return changed


def project_of(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    assert project is not None
    return project


def unmet_needs(initiative: Initiative) -> list[Need]:
    return [n for n in initiative.needs if n.status != NeedStatus.MET]


def mark_needs_met(initiative: Initiative, need_ids: list[int]) -> int:
    """After completion, the user confirms which answered needs are now met."""
    count = 0
    for need in initiative.needs:
        if need.id in need_ids and need_services.set_status(need, NeedStatus.MET):
            count += 1
    return count


def delete_initiative(initiative: Initiative) -> None:
    audit.record(
        "initiative_deleted",
        initiative,
        project=initiative.project_id,
        details={"title": initiative.title},
    )
    for milestone in initiative.milestones:
        links.remove_all(milestone)
    links.remove_all(initiative)
    db.session.delete(initiative)
    db.session.flush()


# --- milestones ------------------------------------------------------------------------------


def add_milestone(initiative: Initiative, data: dict[str, Any]) -> Milestone:
    milestone = Milestone(
        project_id=initiative.project_id,
        initiative=initiative,
        **{f: data[f] for f in MILESTONE_FIELDS if f in data},
    )
    db.session.add(milestone)
    db.session.flush()
    audit.record("milestone_added", milestone, project=initiative.project_id)
    if milestone.done_on is not None:
        _milestone_reached(milestone)
    return milestone


def get_milestone(project: Project, milestone_id: int) -> Milestone | None:
    milestone = db.session.scalar(
        select(Milestone)
        .where(Milestone.id == milestone_id, Milestone.project_id == project.id)
        .options(joinedload(Milestone.initiative))
    )
    return milestone


def update_milestone(milestone: Milestone, data: dict[str, Any]) -> list[str]:
    was_done = milestone.done_on is not None
    changed = save_changes(milestone, data, MILESTONE_FIELDS)
    if not was_done and milestone.done_on is not None:
        _milestone_reached(milestone)
    return changed


def _milestone_reached(milestone: Milestone) -> None:
    """milestone_reached to members who read initiatives, and the project's group chats."""
    initiative = milestone.initiative
    slug = db.session.get(Project, milestone.project_id).slug
    events.emit(
        events.Event(
            "milestone_reached",
            milestone.project_id,
            member_ids(milestone.project_id, Cap.READ_INITIATIVES),
            {"initiative": initiative.title, "milestone": milestone.title},
            events.path_for("initiatives.initiative", slug=slug, initiative_id=initiative.id)
            + "#milestones",
            dedupe=f"milestone_reached:{milestone.id}",
            announce=True,
            actor_id=events.actor_id(),
        )
    )


def delete_milestone(milestone: Milestone) -> None:
    audit.record("milestone_deleted", milestone, project=milestone.project_id)
    links.remove_all(milestone)
    milestone.initiative.milestones.remove(milestone)
    db.session.flush()


def link_evidence(milestone: Milestone, memo: Any, by: Any) -> None:
    """A memo as evidence of a milestone (the memo page shows the link too)."""
    links.add(memo, milestone, "evidence", by=by)


def evidence_by_milestone(milestones: list[Milestone], membership: Any) -> dict[int, list[Any]]:
    """The memos each milestone links, as this member may see them: one query per record type."""
    return links.sources_of_many(milestones, membership)


# --- overdue ---------------------------------------------------------------------------------


def project_today(project: Project) -> date:
    """Today in the project's time zone: what "overdue" is measured against."""
    return analysis.project_today(project)


def overdue_initiatives_query(project: Project, today: date) -> Any:
    """How many initiatives are past their end date and not completed (nor cancelled)."""
    return select(func.count(Initiative.id)).where(
        Initiative.project_id == project.id,
        Initiative.ends_on < today,
        Initiative.status.not_in([InitiativeStatus.COMPLETED, InitiativeStatus.CANCELLED]),
    )


def overdue_milestones_query(project: Project, today: date) -> Any:
    """How many milestones are past their planned date and not done (cancelled initiatives'
    milestones aside)."""
    return (
        select(func.count(Milestone.id))
        .join(Initiative, Initiative.id == Milestone.initiative_id)
        .where(
            Milestone.project_id == project.id,
            Milestone.done_on.is_(None),
            Milestone.planned_on < today,
            Initiative.status != InitiativeStatus.CANCELLED,
        )
    )


def project_timeline(project: Project) -> list[Milestone]:
    """Every milestone of the project, in date order (done date, else planned date)."""
    rows = db.session.scalars(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .options(joinedload(Milestone.initiative))
    )
    return sorted(rows, key=lambda m: (m.done_on or m.planned_on or date.max, m.id))
