"""Children and their contact logs: who may see them, consent rules, follow-ups (audited).

Children are field records: only roles with `see_children` see one, and a withdrawn consent
wipes the child's session name and every contact's summary at once (the counts remain, for
the figures). A contact may carry sound recordings and photos (attachments of type
`CONTACT_FILES`): a withdrawal or an erasure deletes them with the words. Audit events name
ids and fields, never the values.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from cbpar import audit
from cbpar.attachments import services as attachment_services
from cbpar.care.models import ASSENT_AGE, Child, ChildSex, ContactKind, ContactLog, HomeVisits
from cbpar.db import db, scrub_after_commit, utcnow
from cbpar.editing import apply_changes, check_version, flush_or_conflict
from cbpar.mapping.models import Caregiver, Household, MigrantParents
from cbpar.projects.models import Village
from cbpar.security import Cap, membership_can
from cbpar.web import MAX_INT

FIELDS = (
    "birth_year",
    "birth_month",
    "sex",
    "school",
    "grade",
    "parents_away",
    "away_since",
    "home_visits",
    "caregiver",
    "session_name",
    "consent_on",
    "consent_given_by",
    "assent_on",
)
ENUMS = {
    "sex": ChildSex,
    "parents_away": MigrantParents,
    "home_visits": HomeVisits,
    "caregiver": Caregiver,
}
TEXT_FIELDS = {"school", "grade", "session_name", "consent_given_by"}
CONTACT_FIELDS = (
    "kind",
    "on",
    "minutes",
    "with_whom",
    "summary",
    "issues",
    "follow_up_on",
    "lat",
    "lon",
    "location_accuracy_m",
)
CONTACT_FILES = "contact"  # the attachment (and link) type name of a contact
OLDEST = 18  # children only: a birth year more than 18 years ago is refused


def can_see(membership: Any, child: Child | None = None) -> bool:
    if not membership_can(membership, Cap.SEE_CHILDREN):
        return False
    return child is None or child.project_id == membership.project_id


def can_see_files(membership: Any, contact: ContactLog) -> bool:
    """A contact's recordings and photos: the field roles that see children."""
    return contact.project_id == membership.project_id and can_see(membership, contact.child)


def can_attach_files(membership: Any, contact: ContactLog) -> bool:
    return contact.project_id == membership.project_id and can_record(membership, contact.child)


def media_problem(contact: ContactLog, content_type: str) -> str | None:
    """Contacts take sound recordings and photos, nothing else (attachments' rule)."""
    if content_type.startswith(("audio/", "image/")):
        return None
    return _("A contact takes sound recordings and photos only.")


def can_record(membership: Any, child: Child | None = None) -> bool:
    """Add or change a child, log a contact; nothing once consent is withdrawn."""
    if not membership_can(membership, Cap.RECORD_CARE):
        return False
    return child is None or (child.project_id == membership.project_id and not child.withdrawn)


# --- reading ---------------------------------------------------------------------------------


def children_query(project: Any, village_id: int | None = None) -> Any:
    query = (
        select(Child)
        .join(Household, Household.id == Child.household_id)
        .where(Child.project_id == project.id)
        .options(joinedload(Child.household).joinedload(Household.village))
        .order_by(Child.code)
    )
    if village_id is not None:
        query = query.where(Household.village_id == village_id)
    return query


def all_children(project: Any) -> list[Child]:
    return list(db.session.scalars(children_query(project)).unique())


def get_child(project: Any, child_id: int) -> Child | None:
    child = db.session.get(Child, child_id)
    return child if child is not None and child.project_id == project.id else None


def household_for(project: Any, reference: Any) -> Household | None:
    """A household of the project by id or by code (as the forms and the API name it)."""
    if reference in (None, ""):
        return None
    if isinstance(reference, int) or (isinstance(reference, str) and reference.isdigit()):
        if not 0 < int(reference) <= MAX_INT:
            return None  # names no record, and must not reach the database (OverflowError)
        household = db.session.get(Household, int(reference))
        return household if household is not None and household.project_id == project.id else None
    return db.session.scalar(
        select(Household).where(
            Household.project_id == project.id,
            func.upper(Household.code) == str(reference).strip().upper(),
        )
    )


def children_of(household: Household) -> list[Child]:
    return list(
        db.session.scalars(
            select(Child).where(Child.household_id == household.id).order_by(Child.number)
        )
    )


def villages(project: Any) -> list[Village]:
    return list(
        db.session.scalars(
            select(Village).where(Village.project_id == project.id).order_by(Village.name)
        )
    )


def contacts_of(child: Child) -> list[ContactLog]:
    return list(
        db.session.scalars(
            select(ContactLog)
            .where(ContactLog.child_id == child.id)
            .options(joinedload(ContactLog.by))
            .order_by(ContactLog.on.desc(), ContactLog.id.desc())
        )
    )


def get_contact(project: Any, contact_id: int) -> ContactLog | None:
    contact = db.session.get(ContactLog, contact_id)
    return contact if contact is not None and contact.project_id == project.id else None


def follow_ups_query(project: Any, today: date, within_days: int = 7) -> Any:
    """Follow-ups not done, due by `today + within_days`, of children still in care."""
    return (
        select(ContactLog)
        .join(Child, Child.id == ContactLog.child_id)
        .where(
            ContactLog.project_id == project.id,
            ContactLog.follow_up_on.is_not(None),
            ContactLog.follow_up_on <= today + timedelta(days=within_days),
            ContactLog.follow_up_done_on.is_(None),
            Child.withdrawn_at.is_(None),
        )
        .options(joinedload(ContactLog.child).joinedload(Child.household))
        .order_by(ContactLog.follow_up_on, Child.code, ContactLog.id)
    )


# --- rules -----------------------------------------------------------------------------------


def child_problems(data: dict[str, Any], today: date) -> dict[str, str]:
    """Field name -> why the child cannot be saved as it is (beyond the form's own checks)."""
    problems: dict[str, str] = {}
    year, month = data.get("birth_year"), data.get("birth_month")
    if isinstance(year, int):
        if year > today.year or (year == today.year and (month or 1) > today.month):
            problems["birth_year"] = _("The birth date cannot be in the future.")
        elif year < today.year - OLDEST:
            problems["birth_year"] = _("Children only: born at most 18 years ago.")
    consent_on, assent_on = data.get("consent_on"), data.get("assent_on")
    if consent_on is None:
        problems["consent_on"] = _("Record the date the guardian gave consent for services.")
    elif consent_on > today:
        problems["consent_on"] = _("The consent date cannot be in the future.")
    if not (data.get("consent_given_by") or "").strip():
        problems["consent_given_by"] = _("Who gave consent: e.g. grandmother (guardian).")
    if assent_on is not None and assent_on > today:
        problems["assent_on"] = _("The assent date cannot be in the future.")
    if isinstance(year, int) and consent_on is not None and "birth_year" not in problems:
        probe = Child(birth_year=year, birth_month=month)
        if probe.age_on(consent_on) >= ASSENT_AGE and assent_on is None:
            problems["assent_on"] = _(
                "From age %(age)d the child's own agreement is recorded too.", age=ASSENT_AGE
            )
    away_since = data.get("away_since")
    if away_since is not None and away_since > today:
        problems["away_since"] = _("This date cannot be in the future.")
    if data.get("parents_away") == MigrantParents.NONE.value and away_since is not None:
        problems["away_since"] = _("Leave this empty when neither parent works away.")
    return problems


def contact_problems(data: dict[str, Any], today: date) -> dict[str, str]:
    problems: dict[str, str] = {}
    on, follow_up = data.get("on"), data.get("follow_up_on")
    if on is not None and on > today:
        problems["on"] = _("The contact date cannot be in the future.")
    if on is not None and follow_up is not None and follow_up < on:
        problems["follow_up_on"] = _("A follow-up comes after the contact.")
    return problems


# --- writing ---------------------------------------------------------------------------------


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name in FIELDS:
        value = data.get(name)
        if name in TEXT_FIELDS:
            value = (value or "").strip()
        elif name in ENUMS and value not in (None, ""):
            value = ENUMS[name](value)
        values[name] = value
    return values


def _next_number(household: Household) -> int:
    highest = db.session.scalar(
        select(func.max(Child.number)).where(Child.household_id == household.id)
    )
    return (highest or 0) + 1


def create_child(project: Any, household: Household, data: dict[str, Any], by: Any) -> Child:
    number = _next_number(household)
    child = Child(
        project_id=project.id,
        household_id=household.id,
        number=number,
        code=f"{household.code}-{number}",
    )
    for name, value in _normalised(data).items():
        setattr(child, name, value)
    db.session.add(child)
    db.session.flush()
    audit.record("child_added", child, project=project.id, actor=by)
    return child


def update_child(child: Child, data: dict[str, Any], version: int, by: Any) -> list[str]:
    """Save if the child is still at `version` (EditConflict otherwise); the changed fields."""
    if child.withdrawn:
        raise ValueError("a child whose consent was withdrawn cannot be edited")
    check_version(child, version)
    changed = apply_changes(child, _normalised(data), FIELDS)
    if changed:
        flush_or_conflict()
        audit.record(
            "child_updated", child, project=child.project_id, actor=by, details={"fields": changed}
        )
    return changed


def withdraw(child: Child, by: Any) -> int:
    """Consent withdrawn: the session name and every contact's words are wiped at once."""
    scrub_after_commit(db.session)
    child.withdrawn_at = utcnow()
    child.withdrawn_by_id = getattr(by, "id", None)
    child.session_name = ""
    wiped = db.session.execute(
        update(ContactLog)
        .where(ContactLog.child_id == child.id)
        .values(summary="", issues="", with_whom="")
    ).rowcount
    files = attachment_services.delete_all_of(CONTACT_FILES, _contact_ids([child.id]))
    audit.record(
        "child_consent_withdrawn",
        child,
        project=child.project_id,
        actor=by,
        details={"contacts": wiped or 0, "files": files},
    )
    return wiped or 0


def erase_for_household(household_id: int) -> dict[str, int]:
    """Delete a household's children and their contacts (the household's erasure)."""
    child_ids = list(db.session.scalars(select(Child.id).where(Child.household_id == household_id)))
    if not child_ids:
        return {"children": 0, "contacts": 0, "contact_files": 0}
    files = attachment_services.delete_all_of(CONTACT_FILES, _contact_ids(child_ids))
    contacts = db.session.execute(
        ContactLog.__table__.delete().where(ContactLog.child_id.in_(child_ids))
    ).rowcount
    db.session.execute(Child.__table__.delete().where(Child.id.in_(child_ids)))
    return {"children": len(child_ids), "contacts": contacts or 0, "contact_files": files}


def _contact_ids(child_ids: list[int]) -> list[int]:
    return list(db.session.scalars(select(ContactLog.id).where(ContactLog.child_id.in_(child_ids))))


def delete_contact(contact: ContactLog, by: Any) -> None:
    """Delete a contact with its recordings and photos (counts only in the audit)."""
    scrub_after_commit(db.session)
    files = attachment_services.delete_all_of(CONTACT_FILES, [contact.id])
    audit.record(
        "contact_deleted",
        contact,
        project=contact.project_id,
        actor=by,
        details={"child": contact.child_id, "files": files},
    )
    db.session.delete(contact)
    db.session.flush()


def add_contact(child: Child, data: dict[str, Any], by: Any) -> ContactLog:
    if child.withdrawn:
        raise ValueError("no contact is logged for a child whose consent was withdrawn")
    contact = ContactLog(project_id=child.project_id, child_id=child.id, by_id=by.id)
    contact.kind = ContactKind(data["kind"])
    contact.on = data["on"]
    contact.minutes = data.get("minutes")
    contact.with_whom = (data.get("with_whom") or "").strip()
    contact.summary = (data.get("summary") or "").replace("\r\n", "\n").strip()
    contact.issues = (data.get("issues") or "").strip()
    contact.follow_up_on = data.get("follow_up_on")
    contact.lat, contact.lon = data.get("lat"), data.get("lon")
    contact.location_accuracy_m = data.get("location_accuracy_m")
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "contact_logged",
        contact,
        project=child.project_id,
        actor=by,
        details={"child": child.id, "kind": contact.kind.value},
    )
    return contact


def complete_follow_up(contact: ContactLog, day: date, by: Any) -> None:
    if contact.follow_up_done_on is None:
        contact.follow_up_done_on = day
        audit.record("follow_up_done", contact, project=contact.project_id, actor=by)
