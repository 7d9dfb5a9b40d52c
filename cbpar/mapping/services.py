"""Household and facility records: queries, changes with their audit trail, role-aware output."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError

from cbpar import audit, privacy, search
from cbpar.attachments import services as attachments
from cbpar.db import db
from cbpar.editing import EditConflict, apply_changes, check_version, flush_or_conflict
from cbpar.mapping.forms import FACILITY_FIELDS, HOUSEHOLD_FIELDS
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household, MigrantParents
from cbpar.projects.models import Project, Village

# Household properties only roles with SEE_HOUSEHOLD_DETAILS may see, in pages, JSON and CSV.
SENSITIVE_FIELDS = (
    "members",
    "children_under_6",
    "children_6_17",
    "left_behind_children",
    "migrant_parents",
    "caregiver",
    "visited_on",
    "consent_on",
    "consent_given_by",
    "notes",
    "source_id",
    "field_ref",
)

HOUSEHOLD_SORTS = {
    "code": (Village.code, Household.number),
    "village": (Village.name, Household.number),
    "updated": (Household.updated_at.desc(), Household.id.desc()),
}
FACILITY_SORTS = {
    "name": (Facility.name, Facility.id),
    "kind": (Facility.kind, Facility.name),
    "status": (Facility.status, Facility.name),
    "updated": (Facility.updated_at.desc(), Facility.id.desc()),
}


# --- villages --------------------------------------------------------------------------------


def villages(project: Project) -> list[Village]:
    return list(
        db.session.scalars(
            select(Village).where(Village.project_id == project.id).order_by(Village.name)
        )
    )


def village_totals(
    project: Project, audience: privacy.Audience | None = None
) -> list[dict[str, Any]]:
    """Per-village aggregates (what observers may see), one row per village, in name order.

    Small numbers are suppressed for `audience` (by default the current member's).
    """
    sums = (
        select(
            Household.village_id,
            func.count(Household.id).label("households"),
            func.coalesce(func.sum(Household.members), 0).label("members"),
            func.coalesce(func.sum(Household.children_under_6), 0).label("children_under_6"),
            func.coalesce(func.sum(Household.children_6_17), 0).label("children_6_17"),
            func.coalesce(func.sum(Household.left_behind_children), 0).label(
                "left_behind_children"
            ),
        )
        .where(Household.project_id == project.id)
        .group_by(Household.village_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Village, sums)
        .outerjoin(sums, sums.c.village_id == Village.id)
        .where(Village.project_id == project.id)
        .order_by(Village.name)
    )
    result = []
    for row in rows:
        village = row[0]
        result.append(
            {
                "village": village,
                "households": row.households or 0,
                "members": row.members or 0,
                "children_under_6": row.children_under_6 or 0,
                "children_6_17": row.children_6_17 or 0,
                "left_behind_children": row.left_behind_children or 0,
            }
        )
    return privacy.suppress_rows(
        result,
        ("households", "members", "children_under_6", "children_6_17", "left_behind_children"),
        audience or privacy.current_audience(),
        key="village",
    )


# --- households: queries ---------------------------------------------------------------------


def households_query(
    project: Project,
    *,
    village_id: int | None = None,
    migrant_parents: str | None = None,
    sort: str = "code",
) -> Select[Any]:
    """Households for a list page: the village is loaded in the same query (no query per row)."""
    query = (
        select(Household)
        .join(Village, Village.id == Household.village_id)
        .options(contains_eager(Household.village))
        .where(Household.project_id == project.id)
    )
    if village_id is not None:
        query = query.where(Household.village_id == village_id)
    if migrant_parents in MigrantParents.__members__.values():
        query = query.where(Household.migrant_parents == MigrantParents(migrant_parents))
    return query.order_by(*HOUSEHOLD_SORTS.get(sort, HOUSEHOLD_SORTS["code"]))


def get_household(project: Project, household_id: int) -> Household | None:
    return db.session.scalar(households_query(project).where(Household.id == household_id))


def field_ref_taken(
    project: Project, village_id: int | None, field_ref: str, exclude: Household | None
) -> bool:
    """Does another household of the village carry the field team's number `field_ref`?"""
    query = select(Household.id).where(
        Household.project_id == project.id,
        Household.village_id == village_id,
        func.lower(Household.field_ref) == field_ref.strip().lower(),
    )
    if exclude is not None:
        query = query.where(Household.id != exclude.id)
    return db.session.scalar(query.limit(1)) is not None


def search_households(project: Any, membership: Any, terms: list[str], limit: int) -> list[Any]:
    """Households by our code or the field team's number (field roles only: both identify)."""
    if not privacy.household_shape(privacy.audience_of(membership)).field_refs:
        return []
    query = (
        households_query(project)
        .where(search.matches([Household.code, Household.field_ref], terms))
        .limit(limit)
    )
    return [
        search.Hit(
            type="household",
            id=household.id,
            title=household.code,
            url=url_for("mapping.household", slug=project.slug, household_id=household.id),
            snippet=search.snippet(
                " · ".join(filter(None, [household.code, household.field_ref])), terms
            ),
            when=household.updated_at,
        )
        for household in db.session.scalars(query)
    ]


def _village_in(project: Project, village_id: int | None) -> Village | None:
    if village_id is None:
        return None
    return db.session.scalar(
        select(Village).where(Village.id == village_id, Village.project_id == project.id)
    )


# --- households: changes ---------------------------------------------------------------------


def _next_number(village_id: int) -> int:
    current = db.session.scalar(
        select(func.max(Household.number)).where(Household.village_id == village_id)
    )
    return (current or 0) + 1


def household_code(village: Village, number: int) -> str:
    return f"{village.code}-{number:03d}"


def _assign_code(household: Household, village: Village) -> None:
    """Give the household the next free number in its village, retrying on a concurrent taker."""
    for attempt in range(5):
        with db.session.no_autoflush:  # the household itself has no number yet
            number = _next_number(village.id)
        household.number, household.code = number, household_code(village, number)
        try:
            with db.session.begin_nested():
                db.session.flush()
            return
        except IntegrityError:
            if attempt == 4:
                raise


def create_household(project: Project, data: dict[str, Any]) -> Household:
    village = _village_in(project, data["village_id"])
    if village is None:
        raise ValueError("village not in project")
    household = Household(project_id=project.id, village=village)
    for field in HOUSEHOLD_FIELDS:
        setattr(household, field, data[field])
    db.session.add(household)
    _assign_code(household, village)
    filled = [f for f in HOUSEHOLD_FIELDS if data.get(f) not in (None, "")]
    audit.record("household_created", household, project=project, details={"fields": filled})
    return household


def update_household(household: Household, data: dict[str, Any], version: int) -> list[str]:
    """Save the form's values if the household is still at `version`; names the changed fields."""
    check_version(household, version)
    moved_to = None
    if data["village_id"] != household.village_id:
        # Look the village up before changing anything: a query would flush the half-moved row.
        moved_to = _village_in(household.project, data["village_id"])
        if moved_to is None:
            raise ValueError("village not in project")
    changed = apply_changes(household, data, HOUSEHOLD_FIELDS)
    if moved_to is not None:
        household.village = moved_to
        try:
            _assign_code(household, moved_to)
        except StaleDataError as exc:
            raise EditConflict from exc
        changed.append("code")
    if changed:
        flush_or_conflict()
        audit.record(
            "household_updated",
            household,
            project=household.project_id,
            details={"fields": changed},
        )
    return changed


def delete_household(household: Household) -> None:
    audit.record(
        "household_deleted",
        household,
        project=household.project_id,
        details={"code": household.code},
    )
    attachments.delete_all_for(household)  # photos (e.g. sent with ODK Collect): no orphan
    db.session.delete(household)
    db.session.flush()


# --- facilities ------------------------------------------------------------------------------


def facilities_query(
    project: Project,
    *,
    village_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    sort: str = "name",
) -> Select[Any]:
    query = (
        select(Facility)
        .outerjoin(Village, Village.id == Facility.village_id)
        .options(contains_eager(Facility.village))
        .where(Facility.project_id == project.id)
    )
    if village_id is not None:
        query = query.where(Facility.village_id == village_id)
    if kind in FacilityKind.__members__.values():
        query = query.where(Facility.kind == FacilityKind(kind))
    if status in FacilityStatus.__members__.values():
        query = query.where(Facility.status == FacilityStatus(status))
    return query.order_by(*FACILITY_SORTS.get(sort, FACILITY_SORTS["name"]))


def get_facility(project: Project, facility_id: int) -> Facility | None:
    return db.session.scalar(facilities_query(project).where(Facility.id == facility_id))


def _check_facility_village(project: Project, data: dict[str, Any]) -> None:
    if data.get("village_id") is not None and _village_in(project, data["village_id"]) is None:
        raise ValueError("village not in project")


def create_facility(project: Project, data: dict[str, Any]) -> Facility:
    _check_facility_village(project, data)
    facility = Facility(project_id=project.id, **{f: data[f] for f in FACILITY_FIELDS})
    db.session.add(facility)
    db.session.flush()
    filled = [f for f in FACILITY_FIELDS if data.get(f) not in (None, "")]
    audit.record("facility_created", facility, project=project, details={"fields": filled})
    return facility


def update_facility(facility: Facility, data: dict[str, Any], version: int) -> list[str]:
    check_version(facility, version)
    _check_facility_village(facility.project, data)
    changed = apply_changes(facility, data, FACILITY_FIELDS)
    if changed:
        flush_or_conflict()
        audit.record(
            "facility_updated", facility, project=facility.project_id, details={"fields": changed}
        )
    return changed


def delete_facility(facility: Facility) -> None:
    audit.record(
        "facility_deleted", facility, project=facility.project_id, details={"name": facility.name}
    )
    attachments.delete_all_for(facility)
    db.session.delete(facility)
    db.session.flush()


# --- bulk loading (demo, benchmarks) -----------------------------------------------------------


def existing_codes(project: Project) -> set[str]:
    return set(db.session.scalars(select(Household.code).where(Household.project_id == project.id)))


def facility_names(project: Project) -> set[str]:
    return set(db.session.scalars(select(Facility.name).where(Facility.project_id == project.id)))


def bulk_insert(model: type[Household] | type[Facility], rows: list[dict[str, Any]]) -> int:
    """Insert many rows in chunks with one executemany each: no ORM object per row."""
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[start : start + 5000])
    return len(rows)
