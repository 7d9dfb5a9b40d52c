"""Results: indicators (figures from the map), support passed on, and the chain from
confirmed needs to results on the project home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from cbpar import audit, privacy
from cbpar.db import db
from cbpar.initiatives import funding, services
from cbpar.initiatives.models import (
    Indicator,
    IndicatorSource,
    Initiative,
    InitiativeStatus,
    MapMeasure,
    SupportPassedOn,
    initiative_need,
)
from cbpar.mapping import analysis
from cbpar.mapping.models import FacilityKind
from cbpar.needs.models import Need
from cbpar.projects.models import Project

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
    return services.save_changes(indicator, data, INDICATOR_FIELDS)


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
    if (
        data.get("initiative_id") is not None
        and services.get_initiative(project, data["initiative_id"]) is None
    ):
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
    pledged, received, in_kind = funding.project_money(project)
    return Chain(
        confirmed_needs=sum(need_counts.get(s, 0) for s in services.ANSWERABLE),
        answered_needs=int(answered or 0),
        initiatives={str(k): v for k, v in statuses.items()},
        pledged=pledged,
        received=received,
        in_kind=in_kind,
        completed=int(statuses.get(InitiativeStatus.COMPLETED, 0)),
        indicators=int(indicators or 0),
        sites=wider_impact(project)[1],
    )
