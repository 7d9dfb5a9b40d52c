"""Needs: the register (proposing, evidence, status changes). Vote rounds are in `vote_rounds`,
ballots in `ballots`, paper sheets in `paper_ballots`, exports in `ballot_exports`; the counting
methods in `voting` (pure)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cbpar import audit, events, links
from cbpar.db import db
from cbpar.needs.models import (
    Need,
    NeedCategory,
    NeedStatus,
    VoteOption,
    VoteRound,
)
from cbpar.projects.models import Membership, Project, Village
from cbpar.projects.services import member_ids
from cbpar.security import Cap, membership_can

# Statuses an observer (funders, partners) may see: what the community has settled on.
PUBLIC_STATUSES = (NeedStatus.CONFIRMED, NeedStatus.BEING_ADDRESSED, NeedStatus.MET)
EVIDENCE_TYPES = (
    "saved_analysis", "memo", "interview", "household", "village", "meeting",
    "qda_code", "qda_coding",  # a code of the qualitative analysis, or one coded passage
)  # fmt: skip
MAX_EVIDENCE_CHOICES = 100


def set_status(need: Need, status: NeedStatus, reason: str = "", by: Any = None) -> bool:
    """Move a need to `status` (audited, its proposer told); False if it was already there.

    Other features call this too: an initiative answering a need moves it to
    "being addressed", completing it may mark the need "met".
    """
    if need.status == status:
        return False
    old = need.status
    need.status = status
    if status == NeedStatus.DECLINED:
        need.declined_reason = reason
    db.session.flush()
    audit.record(
        "need_status_changed",
        need,
        project=need.project_id,
        details={"from": old.value, "to": status.value},
    )
    _tell_proposer(need, by)
    return True


def _tell_proposer(need: Need, by: Any = None) -> None:
    """need_status to the need's proposer, if they are still a member who may see it."""
    if need.proposed_by_id is None:
        return
    readers = set(member_ids(need.project_id, Cap.PROPOSE_NEEDS))
    if need.status in PUBLIC_STATUSES:
        readers |= set(member_ids(need.project_id, Cap.VIEW_PROJECT))
    if need.proposed_by_id not in readers:
        return
    project = db.session.get(Project, need.project_id)
    events.emit(
        events.Event(
            "need_status",
            need.project_id,
            (need.proposed_by_id,),
            {"need": need.title, "status": need.status.value},
            events.path_for("needs.need", slug=project.slug, need_id=need.id),
            dedupe=f"need_status:{need.id}:{need.status.value}",
            actor_id=events.actor_id(by),
        )
    )


# --- needs -----------------------------------------------------------------------------------


def can_see_all_needs(membership: Membership | None) -> bool:
    return membership_can(membership, Cap.PROPOSE_NEEDS)


def needs_query(
    project: Project,
    membership: Membership | None,
    status: NeedStatus | None = None,
    category: NeedCategory | None = None,
):
    query = select(Need).where(Need.project_id == project.id)
    if not can_see_all_needs(membership):
        query = query.where(Need.status.in_(PUBLIC_STATUSES))
    if status is not None:
        query = query.where(Need.status == status)
    if category is not None:
        query = query.where(Need.category == category)
    return query.order_by(Need.updated_at.desc(), Need.id.desc())


def get_need(project: Project, need_id: int, membership: Membership | None) -> Need | None:
    need = db.session.get(Need, need_id)
    if need is None or need.project_id != project.id:
        return None
    if not can_see_all_needs(membership) and need.status not in PUBLIC_STATUSES:
        return None
    return need


def villages_of(project: Project, ids: list[int]) -> list[Village]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Village).where(Village.project_id == project.id, Village.id.in_(ids))
        )
    )


def create_need(project: Project, data: dict[str, Any], by: Any) -> Need:
    need = Need(
        project_id=project.id,
        title=data["title"].strip(),
        description=data.get("description") or "",
        category=NeedCategory(data["category"]),
        proposed_by_id=getattr(by, "id", None),
    )
    need.villages = villages_of(project, data.get("village_ids") or [])
    db.session.add(need)
    db.session.flush()
    audit.record("need_proposed", need, project=project.id)
    return need


def update_need(need: Need, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in ("title", "description"):
        value = (data.get(name) or "").strip() if name == "title" else data.get(name) or ""
        if getattr(need, name) != value:
            setattr(need, name, value)
            changed.append(name)
    category = NeedCategory(data["category"])
    if need.category != category:
        need.category = category
        changed.append("category")
    villages = villages_of(db.session.get(Project, need.project_id), data.get("village_ids") or [])
    if {v.id for v in villages} != {v.id for v in need.villages}:
        need.villages = villages
        changed.append("villages")
    if changed:
        audit.record("need_edited", need, project=need.project_id, details={"fields": changed})
    return changed


def can_edit_need(membership: Membership | None, need: Need, user: Any) -> bool:
    """Coordinators and researchers; the proposer while the need is still only proposed."""
    if membership_can(membership, Cap.MANAGE_VOTES):
        return True
    return (
        membership_can(membership, Cap.PROPOSE_NEEDS)
        and need.proposed_by_id == getattr(user, "id", None)
        and need.status == NeedStatus.PROPOSED
    )


def evidence(need: Need, membership: Membership | None) -> list[links.Linked]:
    return links.targets_of(need, membership, "evidence")


def linked_from(need: Need, membership: Membership | None) -> list[links.Linked]:
    """Records pointing at the need other than meetings (e.g. initiatives answering it)."""
    return [
        linked
        for linked in links.sources_of(need, membership)
        if linked.type.name not in ("meeting", "vote_round")
    ]


def evidence_choices(project: Project, membership: Membership) -> list[tuple[str, list]]:
    """(kind label, [("type:id", label)]) of records this member may cite as evidence."""
    return links.choices(project.id, membership, EVIDENCE_TYPES, MAX_EVIDENCE_CHOICES)


def resolve_evidence(project: Project, membership: Membership, value: str) -> Any | None:
    return links.resolve_choice(project.id, membership, EVIDENCE_TYPES, value)


def add_evidence(need: Need, record: Any, by: Any) -> None:
    links.add(need, record, "evidence", by=by)


def remove_evidence(need: Need, record: Any) -> bool:
    return links.remove(need, record, "evidence")


def rounds_of_need(need: Need) -> list[VoteRound]:
    return list(
        db.session.scalars(
            select(VoteRound)
            .join(VoteOption, VoteOption.round_id == VoteRound.id)
            .where(VoteOption.need_id == need.id)
            .order_by(VoteRound.opens_at.desc())
        )
    )
