"""Initiatives answering confirmed needs, their funding, milestones, results and wider impact."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Authored, Base, CreatedMixin, ProjectScoped, Versioned, str_enum
from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.auth.models import User
    from cbpar.mapping.models import Facility
    from cbpar.needs.models import Need
    from cbpar.projects.models import Village

# Exact money: 12 digits before the point, 2 after; always Decimal, never float.
Money = Numeric(14, 2, asdecimal=True)
# Indicator values: counts, percentages, hours; exact as well.
Figure = Numeric(16, 4, asdecimal=True)


class InitiativeStatus(LabelledEnum):
    PROPOSED = "proposed", _l("Proposed")
    PLANNING = "planning", _l("Planning")
    FUNDRAISING = "fundraising", _l("Fundraising")
    IN_PROGRESS = "in_progress", _l("In progress")
    COMPLETED = "completed", _l("Completed")
    CANCELLED = "cancelled", _l("Cancelled")


class FunderType(LabelledEnum):
    FOUNDATION = "foundation", _l("Foundation")
    GOVERNMENT = "government", _l("Government body")
    MASS_ORGANISATION = (
        "mass_organisation",
        _l("Youth federation or other mass organisation"),
    )  # youth federation, women's federation, ...
    NGO = "ngo", _l("NGO")
    COMPANY = "company", _l("Company")
    INDIVIDUAL = "individual", _l("Individual")
    COMMUNITY = "community", _l("Community")


class ContributionKind(LabelledEnum):
    CASH = "cash", _l("Cash")
    IN_KIND = "in_kind", _l("In kind")


class ContributionStatus(LabelledEnum):
    PLEDGED = "pledged", _l("Pledged")
    RECEIVED = "received", _l("Received")


class IndicatorSource(LabelledEnum):
    MANUAL = "manual", _l("Entered by hand")
    COMPUTED = "computed", _l("Computed from the map")  # from the map's accessibility analysis
    # From the services recorded for children (sessions, contacts, volunteer hours): what is
    # measured is registered by services and care (results.register_measure_source).
    SERVICES = "services", _l("From services")


class MapMeasure(LabelledEnum):
    """What a computed indicator counts within the distance of an operating facility."""

    CHILDREN_UNDER_6 = "children_under_6", _l("Children under 6")
    HOUSEHOLDS = "households", _l("Households")
    LEFT_BEHIND_CHILDREN = "left_behind_children", _l("Left-behind children")


initiative_need = Table(
    "initiative_need",
    Base.metadata,
    Column("initiative_id", ForeignKey("initiative.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("need.id", ondelete="CASCADE"), primary_key=True),
)


class Initiative(ProjectScoped, Authored, Versioned, CreatedMixin, Base):
    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    status: Mapped[InitiativeStatus] = mapped_column(
        str_enum(InitiativeStatus), default=InitiativeStatus.PROPOSED
    )
    # The lead is a project member or a partner organisation (or not yet known).
    lead_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    lead_organisation: Mapped[str] = mapped_column(String(200), default="")
    budget_target: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    spent: Mapped[Decimal | None] = mapped_column(Money)  # in `currency`, so far
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    # A facility it creates or improves; its status follows the initiative.
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facility.id", ondelete="SET NULL"), index=True
    )

    needs: Mapped[list[Need]] = relationship(secondary=initiative_need, order_by="Need.title")
    lead_user: Mapped[User | None] = relationship(foreign_keys=[lead_user_id])
    facility: Mapped[Facility | None] = relationship()
    roles: Mapped[list[InitiativeRole]] = relationship(
        back_populates="initiative",
        cascade="all, delete-orphan",
        order_by="InitiativeRole.position",
    )
    contributions: Mapped[list[Contribution]] = relationship(
        back_populates="initiative", cascade="all, delete-orphan", order_by="Contribution.id"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="initiative",
        cascade="all, delete-orphan",
        order_by="(Milestone.planned_on, Milestone.id)",
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="initiative", cascade="all, delete-orphan", order_by="Indicator.id"
    )

    def days_overdue(self, today: date) -> int:
        """Days past its end date while not completed (0: not overdue; cancelled never is)."""
        if self.ends_on is None or self.status in (
            InitiativeStatus.COMPLETED,
            InitiativeStatus.CANCELLED,
        ):
            return 0
        return max(0, (today - self.ends_on).days)


class InitiativeRole(Base):
    """Who does what: e.g. "village committee" -> "hire a kindergarten teacher"."""

    __tablename__ = "initiative_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    party: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(500))

    initiative: Mapped[Initiative] = relationship(back_populates="roles")


class Funder(ProjectScoped, CreatedMixin, Base):
    __tablename__ = "funder"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[FunderType] = mapped_column(str_enum(FunderType))
    place: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Beijing"

    @property
    def is_person(self) -> bool:
        """A private person: their name is shown only as cbpar.privacy.donor_name allows."""
        return self.type == FunderType.INDIVIDUAL


class Contribution(ProjectScoped, CreatedMixin, Base):
    """Cash (amount and currency) or in kind (items, quantity, estimated value)."""

    __tablename__ = "contribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[ContributionKind] = mapped_column(str_enum(ContributionKind))
    status: Mapped[ContributionStatus] = mapped_column(str_enum(ContributionStatus))
    amount: Mapped[Decimal | None] = mapped_column(Money)  # cash only
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    items: Mapped[str] = mapped_column(String(200), default="")  # in kind only, e.g. "desks"
    quantity: Mapped[int | None]
    estimated_value: Mapped[Decimal | None] = mapped_column(Money)  # in kind, in `currency`
    pledged_on: Mapped[date | None]
    received_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(500), default="")

    initiative: Mapped[Initiative] = relationship(back_populates="contributions")
    funder: Mapped[Funder] = relationship()


class Milestone(ProjectScoped, CreatedMixin, Base):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[date | None]
    done_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")  # Markdown, team only

    initiative: Mapped[Initiative] = relationship(back_populates="milestones")

    def days_overdue(self, today: date) -> int:
        """Days past its planned date while not done (0: not overdue; nothing of a cancelled
        initiative is)."""
        if self.done_on is not None or self.planned_on is None:
            return 0
        if self.initiative.status == InitiativeStatus.CANCELLED:
            return 0
        return max(0, (today - self.planned_on).days)


class Indicator(ProjectScoped, CreatedMixin, Base):
    """A result: entered by hand, or computed (from the map or from the services recorded) as
    of the start date and today."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[IndicatorSource] = mapped_column(
        str_enum(IndicatorSource), default=IndicatorSource.MANUAL
    )
    # Typed for a manual indicator; for a computed one, recorded from the map when it is
    # created (or when what it counts changes), as of `baseline_on`. None: not recorded.
    baseline: Mapped[Decimal | None] = mapped_column(Figure)
    baseline_on: Mapped[date | None]
    target: Mapped[Decimal | None] = mapped_column(Figure)
    current: Mapped[Decimal | None] = mapped_column(Figure)  # manual only
    # Computed indicators: who lives within `within_km` of an operating facility of this kind,
    # in one village or (no village) in the whole project.
    measure: Mapped[MapMeasure | None] = mapped_column(str_enum(MapMeasure))
    facility_kind: Mapped[str | None] = mapped_column(String(24))
    within_km: Mapped[Decimal | None] = mapped_column(Numeric(8, 2, asdecimal=True))
    village_id: Mapped[int | None] = mapped_column(
        ForeignKey("village.id", ondelete="SET NULL"), index=True
    )
    # Indicators from services: what is measured (a key registered by services and care),
    # optionally in one programme and one village (`village_id` above), over the last
    # `period_days` days (None: since the initiative started).
    service_measure: Mapped[str | None] = mapped_column(String(40))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL"), index=True
    )
    period_days: Mapped[int | None]

    initiative: Mapped[Initiative] = relationship(back_populates="indicators")
    village: Mapped[Village | None] = relationship()


class SupportPassedOn(ProjectScoped, CreatedMixin, Base):
    """Support passed on to other sites: the wider impact beyond the project's villages."""

    __tablename__ = "support_passed_on"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiative.id", ondelete="SET NULL"), index=True
    )
    place: Mapped[str] = mapped_column(String(200))  # e.g. "two other Banners"
    given: Mapped[str] = mapped_column(String(500))  # e.g. "desks, supplies and computers"
    sites: Mapped[int] = mapped_column(default=1)  # e.g. 4 kindergartens renovated
    given_on: Mapped[date | None]

    initiative: Mapped[Initiative | None] = relationship()


class TransparencyLink(ProjectScoped, Authored, CreatedMixin, Base):
    """A revocable public read-only link to a project's transparency page (hash stored only)."""

    __tablename__ = "transparency_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]
