"""Community map records: households (pseudonymous), facilities, saved distance analyses."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import (
    Authored,
    Base,
    CreatedMixin,
    ProjectScoped,
    ProjectScopedNoIndex,
    Versioned,
    str_enum,
)
from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.projects.models import Project, Village


_COUNT = Integer().evaluates_none()


# UNKNOWN: the question was not asked or not answered. A blank answer is stored as UNKNOWN,
# never as a guess ("neither parent", "parents"), just as a blank count is None, never 0.
# The column is a VARCHAR without a CHECK constraint, so the new value needs no schema change.


class MigrantParents(LabelledEnum):
    NONE = "none", _l("Neither parent")
    FATHER = "father", _l("Father")
    MOTHER = "mother", _l("Mother")
    BOTH = "both", _l("Both parents")
    UNKNOWN = "unknown", _l("Unknown / not asked")


class Caregiver(LabelledEnum):
    PARENTS = "parents", _l("Parents")
    GRANDPARENTS = "grandparents", _l("Grandparents")
    OTHER_RELATIVES = "other_relatives", _l("Other relatives")
    OTHER = "other", _l("Other")
    UNKNOWN = "unknown", _l("Unknown / not asked")


class FacilityKind(LabelledEnum):
    KINDERGARTEN = "kindergarten", _l("Kindergarten")
    PRIMARY_SCHOOL = "primary_school", _l("Primary school")
    MIDDLE_SCHOOL = "middle_school", _l("Middle school")
    CLINIC = "clinic", _l("Clinic")
    VILLAGE_COMMITTEE = "village_committee", _l("Village committee office")
    LIBRARY = "library", _l("Library")
    SOCIAL_WORK_STATION = "social_work_station", _l("Social-work station")
    OTHER = "other", _l("Other")


class FacilityStatus(LabelledEnum):
    PLANNED = "planned", _l("Planned")
    UNDER_CONSTRUCTION = "under_construction", _l("Under construction")
    OPERATING = "operating", _l("Operating")
    CLOSED = "closed", _l("Closed")


class Household(ProjectScopedNoIndex, Versioned, CreatedMixin, Base):
    """A household, known by a pseudonymous code (e.g. SH-017), never by a name."""

    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        UniqueConstraint("village_id", "number"),
        # The field team's own number is unique in its village (teams often number per village).
        UniqueConstraint("village_id", "field_ref"),
        Index("ix_household_project_id_lat_lon", "project_id", "lat", "lon"),
        Index("ix_household_project_id_field_ref", "project_id", "field_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(
        ForeignKey("village.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int]  # per village; the code is the village code and this number
    code: Mapped[str] = mapped_column(String(24))
    lat: Mapped[float]
    lon: Mapped[float]
    # How far off the point may be, in metres, when it came from a phone's location (None:
    # typed, imported or placed on a map).
    location_accuracy_m: Mapped[float | None]
    # The field team's own household number (e.g. a KoBo `hh_code`): shown, searchable and
    # matched on re-import, never used as our code. Sensitive like the code (cbpar/privacy.py).
    field_ref: Mapped[str | None] = mapped_column(String(64))
    # Sensitive: counts and family situation, shown only to roles with SEE_HOUSEHOLD_DETAILS.
    # A count is None when it is not known (a blank cell in an imported file), never 0.
    # evaluates_none: an explicit None is stored as NULL; the default 0 is for an omitted value.
    members: Mapped[int | None] = mapped_column(_COUNT, default=0)
    children_under_6: Mapped[int | None] = mapped_column(_COUNT, default=0)
    children_6_17: Mapped[int | None] = mapped_column(_COUNT, default=0)
    left_behind_children: Mapped[int | None] = mapped_column(_COUNT, default=0)
    migrant_parents: Mapped[MigrantParents] = mapped_column(
        str_enum(MigrantParents), default=MigrantParents.UNKNOWN
    )
    caregiver: Mapped[Caregiver] = mapped_column(str_enum(Caregiver), default=Caregiver.UNKNOWN)
    visited_on: Mapped[date | None]
    consent_on: Mapped[date | None]
    consent_given_by: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where the record came from when imported (e.g. an ODK/KoBo submission id).
    source_id: Mapped[str | None] = mapped_column(String(120))

    village: Mapped[Village] = relationship()
    project: Mapped[Project] = relationship()

    @property
    def children(self) -> int | None:
        """Children under 18, None when either count is unknown."""
        if self.children_under_6 is None or self.children_6_17 is None:
            return None
        return self.children_under_6 + self.children_6_17


class Facility(ProjectScopedNoIndex, Versioned, CreatedMixin, Base):
    __tablename__ = "facility"
    __table_args__ = (Index("ix_facility_project_id_kind_status", "project_id", "kind", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FacilityKind] = mapped_column(str_enum(FacilityKind))
    status: Mapped[FacilityStatus] = mapped_column(
        str_enum(FacilityStatus), default=FacilityStatus.OPERATING
    )
    lat: Mapped[float]
    lon: Mapped[float]
    location_accuracy_m: Mapped[float | None]  # metres, from a phone's location
    capacity: Mapped[int | None]
    opened_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")

    village: Mapped[Village | None] = relationship()
    project: Mapped[Project] = relationship()


class SavedAnalysis(ProjectScoped, Authored, CreatedMixin, Base):
    """A named accessibility result, kept with its parameters so it can serve as evidence."""

    __tablename__ = "saved_analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FacilityKind] = mapped_column(str_enum(FacilityKind))
    within_km: Mapped[float]
    as_of: Mapped[date]
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[lat, lon], ...]
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the API's answer

    project: Mapped[Project] = relationship()
