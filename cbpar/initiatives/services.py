"""Initiatives: changes (audited, never committed here), funding totals, results, transparency."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from cbpar import audit, links, privacy
from cbpar.db import db, utcnow
from cbpar.editing import EditConflict, apply_changes, check_version, flush_or_conflict
from cbpar.initiatives.models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Funder,
    FunderType,
    Indicator,
    IndicatorSource,
    Initiative,
    InitiativeRole,
    InitiativeStatus,
    MapMeasure,
    Milestone,
    SupportPassedOn,
    TransparencyLink,
    initiative_need,
)
from cbpar.mapping import analysis
from cbpar.mapping import services as mapping_services
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus
from cbpar.needs import services as need_services
from cbpar.needs.models import Need, NeedStatus
from cbpar.projects.models import Membership, Project

ZERO = Decimal("0.00")
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
CONTRIBUTION_FIELDS = (
    "funder_id",
    "kind",
    "status",
    "amount",
    "currency",
    "items",
    "quantity",
    "estimated_value",
    "pledged_on",
    "received_on",
    "note",
)
MILESTONE_FIELDS = ("title", "planned_on", "done_on", "note")
INDICATOR_FIELDS = (
    "name",
    "unit",
    "source",
    "baseline",
    "target",
    "current",
    "measure",
    "facility_kind",
    "within_km",
)
# Needs an initiative may answer: the confirmed ones (and those already being answered).
ANSWERABLE = (NeedStatus.CONFIRMED, NeedStatus.BEING_ADDRESSED, NeedStatus.MET)
# How far an initiative's facility has come: it only ever moves forward.
FACILITY_STEP = {
    FacilityStatus.PLANNED: 0,
    FacilityStatus.CLOSED: 0,
    FacilityStatus.UNDER_CONSTRUCTION: 1,
    FacilityStatus.OPERATING: 2,
}


def _save(record: Any, data: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
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
        selectinload(Initiative.indicators),
        joinedload(Initiative.lead_user),
        joinedload(Initiative.facility),
    )


def list_initiatives(project: Project) -> list[Initiative]:
    query = select(Initiative).where(Initiative.project_id == project.id)
    query = query.order_by(Initiative.starts_on.is_(None), Initiative.starts_on, Initiative.id)
    return list(db.session.scalars(_full(query)))


def get(project: Project, initiative_id: int) -> Initiative | None:
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
    from cbpar.auth.models import User

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


def create(project: Project, data: dict[str, Any], by: Any) -> Initiative:
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


def update(initiative: Initiative, data: dict[str, Any], version: int | None = None) -> list[str]:
    """Save an edit; returns the fields that changed (status changes move the facility).

    With `version` (the one an edit form was loaded with), the edit is refused with EditConflict
    if the initiative changed since; the other flows changing an initiative pass none."""
    if version is not None:
        check_version(initiative, version)
    project_id = initiative.project_id
    _check_refs(_project(project_id), data)
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


def _project(project_id: int) -> Project:
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


def delete(initiative: Initiative) -> None:
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


# --- funders and contributions ---------------------------------------------------------------


def list_funders(project: Project) -> list[Funder]:
    return list(
        db.session.scalars(
            select(Funder).where(Funder.project_id == project.id).order_by(Funder.name)
        )
    )


def get_funder(project: Project, funder_id: int) -> Funder | None:
    funder = db.session.get(Funder, funder_id)
    return funder if funder is not None and funder.project_id == project.id else None


def funder_named(project: Project, name: str) -> Funder | None:
    return db.session.scalar(
        select(Funder).where(Funder.project_id == project.id, Funder.name == name)
    )


def create_funder(project: Project, name: str, type_: FunderType, place: str = "") -> Funder:
    funder = Funder(project_id=project.id, name=name, type=type_, place=place)
    db.session.add(funder)
    db.session.flush()
    audit.record("funder_created", funder, project=project, details={"type": type_.value})
    return funder


def update_funder(funder: Funder, data: dict[str, Any]) -> list[str]:
    return _save(funder, data, ("name", "type", "place"))


def funders_with_contributions(project: Project) -> list[tuple[Funder, list[Contribution]]]:
    """Each funder and what it gave to what, in two queries."""
    funders = list_funders(project)
    given: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in db.session.scalars(
        select(Contribution)
        .where(Contribution.project_id == project.id)
        .options(joinedload(Contribution.initiative))
        .order_by(Contribution.pledged_on, Contribution.id)
    ):
        given[contribution.funder_id].append(contribution)
    return [(f, given.get(f.id, [])) for f in funders]


def _clean_contribution(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["kind"] = ContributionKind(data["kind"])
    data["status"] = ContributionStatus(data["status"])
    if data["kind"] == ContributionKind.CASH:
        data.update(items="", quantity=None, estimated_value=None)
    else:
        data["amount"] = None
    return data


def add_contribution(initiative: Initiative, data: dict[str, Any]) -> Contribution:
    data = _clean_contribution(data)
    if get_funder(_project(initiative.project_id), data["funder_id"]) is None:
        raise ValueError("funder not in project")
    contribution = Contribution(
        project_id=initiative.project_id,
        initiative=initiative,
        **{f: data[f] for f in CONTRIBUTION_FIELDS if f in data},
    )
    db.session.add(contribution)
    db.session.flush()
    audit.record(
        "contribution_added",
        contribution,
        project=initiative.project_id,
        details={"kind": contribution.kind.value, "status": contribution.status.value},
    )
    return contribution


def get_contribution(initiative: Initiative, contribution_id: int) -> Contribution | None:
    for contribution in initiative.contributions:
        if contribution.id == contribution_id:
            return contribution
    return None


def update_contribution(contribution: Contribution, data: dict[str, Any]) -> list[str]:
    data = _clean_contribution(data)
    return _save(contribution, data, CONTRIBUTION_FIELDS)


def delete_contribution(contribution: Contribution) -> None:
    audit.record("contribution_deleted", contribution, project=contribution.project_id)
    contribution.initiative.contributions.remove(contribution)
    db.session.flush()


@dataclass
class InKindItem:
    items: str
    quantity: int | None
    value: Decimal | None
    currency: str
    status: ContributionStatus


@dataclass
class Totals:
    """Money per currency, never mixed: `currency` is the initiative's own; others apart.

    `pledged` counts every cash commitment (received or not); `received` what has arrived;
    `in_kind` the estimated value of gifts in kind. Each maps currency -> exact Decimal.
    """

    currency: str
    target: Decimal | None
    pledged: dict[str, Decimal] = field(default_factory=dict)
    received: dict[str, Decimal] = field(default_factory=dict)
    in_kind: dict[str, Decimal] = field(default_factory=dict)
    items: list[InKindItem] = field(default_factory=list)

    def _main(self, table: dict[str, Decimal]) -> Decimal:
        return table.get(self.currency, ZERO)

    @property
    def pledged_main(self) -> Decimal:
        return self._main(self.pledged)

    @property
    def received_main(self) -> Decimal:
        return self._main(self.received)

    @property
    def other_currencies(self) -> list[str]:
        found = set(self.pledged) | set(self.in_kind)
        return sorted(found - {self.currency})

    def percent(self, amount: Decimal) -> int:
        """Share of the target, 0..100 (for the bar), rounded down."""
        if not self.target:
            return 0
        return int(min(Decimal(100), amount * 100 / self.target))

    @property
    def pledged_percent(self) -> int:
        return self.percent(self.pledged_main)

    @property
    def received_percent(self) -> int:
        return self.percent(self.received_main)


def _add(table: dict[str, Decimal], currency: str, amount: Decimal | None) -> None:
    if amount is not None:
        table[currency] = table.get(currency, ZERO) + amount


def totals(initiative: Initiative) -> Totals:
    result = Totals(initiative.currency, initiative.budget_target)
    for c in initiative.contributions:
        if c.kind == ContributionKind.CASH:
            _add(result.pledged, c.currency, c.amount)
            if c.status == ContributionStatus.RECEIVED:
                _add(result.received, c.currency, c.amount)
        else:
            _add(result.in_kind, c.currency, c.estimated_value)
            result.items.append(
                InKindItem(c.items, c.quantity, c.estimated_value, c.currency, c.status)
            )
    return result


def sum_tables(tables: list[dict[str, Decimal]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for table in tables:
        for currency, amount in table.items():
            _add(out, currency, amount)
    return dict(sorted(out.items()))


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
    return milestone


def get_milestone(project: Project, milestone_id: int) -> Milestone | None:
    milestone = db.session.scalar(
        select(Milestone)
        .where(Milestone.id == milestone_id, Milestone.project_id == project.id)
        .options(joinedload(Milestone.initiative))
    )
    return milestone


def update_milestone(milestone: Milestone, data: dict[str, Any]) -> list[str]:
    return _save(milestone, data, MILESTONE_FIELDS)


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


def project_timeline(project: Project) -> list[Milestone]:
    """Every milestone of the project, in date order (done date, else planned date)."""
    rows = db.session.scalars(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .options(joinedload(Milestone.initiative))
    )
    return sorted(rows, key=lambda m: (m.done_on or m.planned_on or date.max, m.id))


# --- indicators ------------------------------------------------------------------------------


def add_indicator(initiative: Initiative, data: dict[str, Any]) -> Indicator:
    indicator = Indicator(
        project_id=initiative.project_id,
        initiative=initiative,
        **{f: data[f] for f in INDICATOR_FIELDS if f in data},
    )
    db.session.add(indicator)
    db.session.flush()
    audit.record(
        "indicator_added",
        indicator,
        project=initiative.project_id,
        details={"source": indicator.source.value},
    )
    return indicator


def get_indicator(initiative: Initiative, indicator_id: int) -> Indicator | None:
    return next((i for i in initiative.indicators if i.id == indicator_id), None)


def update_indicator(indicator: Indicator, data: dict[str, Any]) -> list[str]:
    return _save(indicator, data, INDICATOR_FIELDS)


def delete_indicator(indicator: Indicator) -> None:
    audit.record("indicator_deleted", indicator, project=indicator.project_id)
    indicator.initiative.indicators.remove(indicator)
    db.session.flush()


@dataclass
class IndicatorValues:
    baseline: Decimal | None
    current: Decimal | None
    baseline_as_of: date | None = None
    current_as_of: date | None = None


class MapFigures:
    """Accessibility answers for computed indicators, each (kind, km, date) asked once."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.today = analysis.project_today(project)
        self._cache: dict[tuple[str, float, date], dict[str, Any]] = {}

    def within(self, kind: str, km: float, as_of: date, measure: MapMeasure) -> Decimal:
        key = (kind, km, as_of)
        if key not in self._cache:
            params = analysis.Params(FacilityKind(kind), km, as_of)
            self._cache[key] = analysis.accessibility(self.project.id, params)
        answer = self._cache[key]
        total = answer[measure.value]
        beyond = answer[f"{measure.value}_beyond"]
        return Decimal(int(total) - int(beyond))

    def values(self, indicator: Indicator, initiative: Initiative) -> IndicatorValues:
        if indicator.source == IndicatorSource.MANUAL:
            return IndicatorValues(indicator.baseline, indicator.current)
        if not (indicator.measure and indicator.facility_kind and indicator.within_km):
            return IndicatorValues(None, None)
        km = float(indicator.within_km)
        start = initiative.starts_on
        baseline = (
            self.within(indicator.facility_kind, km, start, indicator.measure) if start else None
        )
        current = self.within(indicator.facility_kind, km, self.today, indicator.measure)
        return IndicatorValues(baseline, current, start, self.today)


def indicator_values(
    project: Project,
    initiatives: list[Initiative],
    audience: privacy.Audience | None = None,
) -> dict[int, IndicatorValues]:
    """Each indicator's baseline and current value; figures computed from the map are
    suppressed (1 to 4 become "fewer than 5") for `audience`, by default the current member's."""
    figures = MapFigures(project)
    audience = audience or privacy.current_audience()
    values = {}
    for initiative in initiatives:
        for indicator in initiative.indicators:
            value = figures.values(indicator, initiative)
            if indicator.source == IndicatorSource.COMPUTED:
                value.baseline = privacy.suppress(value.baseline, audience)
                value.current = privacy.suppress(value.current, audience)
            values[indicator.id] = value
    return values


# --- wider impact ----------------------------------------------------------------------------


def list_support(project: Project) -> list[SupportPassedOn]:
    return list(
        db.session.scalars(
            select(SupportPassedOn)
            .where(SupportPassedOn.project_id == project.id)
            .options(joinedload(SupportPassedOn.initiative))
            .order_by(SupportPassedOn.given_on, SupportPassedOn.id)
        )
    )


def add_support(project: Project, data: dict[str, Any]) -> SupportPassedOn:
    if data.get("initiative_id") is not None and get(project, data["initiative_id"]) is None:
        raise ValueError("initiative not in project")
    support = SupportPassedOn(
        project_id=project.id,
        **{f: data.get(f) for f in ("initiative_id", "place", "given", "sites", "given_on")},
    )
    db.session.add(support)
    db.session.flush()
    audit.record("support_passed_on_added", support, project=project)
    return support


def get_support(project: Project, support_id: int) -> SupportPassedOn | None:
    support = db.session.get(SupportPassedOn, support_id)
    return support if support is not None and support.project_id == project.id else None


def delete_support(support: SupportPassedOn) -> None:
    audit.record("support_passed_on_deleted", support, project=support.project_id)
    db.session.delete(support)
    db.session.flush()


def wider_impact(project: Project) -> tuple[int, int]:
    """(records, sites reached) of support passed on beyond the project."""
    row = db.session.execute(
        select(
            func.count(SupportPassedOn.id), func.coalesce(func.sum(SupportPassedOn.sites), 0)
        ).where(SupportPassedOn.project_id == project.id)
    ).one()
    return int(row[0]), int(row[1])


# --- the chain at a glance (project home) ----------------------------------------------------


@dataclass
class Chain:
    confirmed_needs: int
    answered_needs: int
    initiatives: dict[str, int]
    pledged: dict[str, Decimal]
    received: dict[str, Decimal]
    in_kind: dict[str, Decimal]
    completed: int
    indicators: int
    sites: int

    @property
    def total_initiatives(self) -> int:
        return sum(self.initiatives.values())


def _money(project: Project) -> tuple[dict[str, Decimal], ...]:
    """Cash pledged, cash received and in-kind value per currency, summed exactly in Python."""
    pledged: dict[str, Decimal] = {}
    received: dict[str, Decimal] = {}
    in_kind: dict[str, Decimal] = {}
    rows = db.session.execute(
        select(
            Contribution.kind,
            Contribution.status,
            Contribution.currency,
            Contribution.amount,
            Contribution.estimated_value,
        ).where(Contribution.project_id == project.id)
    )
    for kind, status, currency, amount, value in rows:
        if kind == ContributionKind.CASH:
            _add(pledged, currency, amount)
            if status == ContributionStatus.RECEIVED:
                _add(received, currency, amount)
        else:
            _add(in_kind, currency, value)
    return sum_tables([pledged]), sum_tables([received]), sum_tables([in_kind])


def chain(project: Project) -> Chain:
    """Confirmed needs -> initiatives -> funding -> results, in a handful of aggregate queries."""
    need_counts = dict(
        db.session.execute(
            select(Need.status, func.count())
            .where(Need.project_id == project.id)
            .group_by(Need.status)
        ).all()
    )
    statuses = dict(
        db.session.execute(
            select(Initiative.status, func.count())
            .where(Initiative.project_id == project.id)
            .group_by(Initiative.status)
        ).all()
    )
    indicators = db.session.scalar(
        select(func.count(Indicator.id)).where(Indicator.project_id == project.id)
    )
    answered = db.session.scalar(
        select(func.count(func.distinct(initiative_need.c.need_id)))
        .select_from(initiative_need)
        .join(Initiative, Initiative.id == initiative_need.c.initiative_id)
        .where(Initiative.project_id == project.id)
    )
    pledged, received, in_kind = _money(project)
    return Chain(
        confirmed_needs=sum(need_counts.get(s, 0) for s in ANSWERABLE),
        answered_needs=int(answered or 0),
        initiatives={str(k): v for k, v in statuses.items()},
        pledged=pledged,
        received=received,
        in_kind=in_kind,
        completed=int(statuses.get(InitiativeStatus.COMPLETED, 0)),
        indicators=int(indicators or 0),
        sites=wider_impact(project)[1],
    )


# --- the public transparency link ------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def active_link(project: Project) -> TransparencyLink | None:
    return db.session.scalar(
        select(TransparencyLink).where(
            TransparencyLink.project_id == project.id, TransparencyLink.revoked_at.is_(None)
        )
    )


def create_link(project: Project, by: Any) -> str:
    """A new public link (any earlier one stops working); returns the secret, shown once."""
    revoke_link(project, by)
    raw = secrets.token_urlsafe(24)
    link = TransparencyLink(
        project_id=project.id, token_hash=_digest(raw), created_by_id=getattr(by, "id", None)
    )
    db.session.add(link)
    db.session.flush()
    audit.record("transparency_link_created", link, project=project, actor=by)
    return raw


def revoke_link(project: Project, by: Any) -> bool:
    link = active_link(project)
    if link is None:
        return False
    link.revoked_at = utcnow()
    audit.record("transparency_link_revoked", link, project=project, actor=by)
    return True


def project_for_token(raw: str) -> Project | None:
    if not raw or len(raw) > 100:
        return None
    link = db.session.scalar(
        select(TransparencyLink).where(TransparencyLink.token_hash == _digest(raw))
    )
    if link is None or link.revoked_at is not None:
        return None
    return db.session.get(Project, link.project_id)


# --- registration ----------------------------------------------------------------------------


def register() -> None:
    from flask_babel import lazy_gettext as _l

    from cbpar.attachments import services as attachment_services
    from cbpar.security import Cap, membership_can

    read = links.needs(Cap.READ_INITIATIVES)
    links.register(
        links.RecordType(
            "initiative", Initiative, lambda i: i.title, "initiatives.initiative",
            "initiative_id", read, lambda: str(_l("Initiative")),
        )
    )  # fmt: skip
    links.register(
        links.RecordType(
            "milestone", Milestone, lambda m: m.title, "initiatives.milestone",
            "milestone_id", read, lambda: str(_l("Milestone")),
        )
    )  # fmt: skip
    # Photos are evidence for the team; observers see the figures, not the pictures.
    attachment_services.register_target(
        "milestone",
        lambda _m, membership: membership_can(membership, Cap.SEE_COMMUNITY_MEMOS),
        lambda _m, membership: membership_can(membership, Cap.EDIT_INITIATIVES),
    )


register()
