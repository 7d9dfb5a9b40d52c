"""Results: indicators (figures from the map), support passed on, and the chain from
confirmed needs to results on the project home page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from cbpar import audit, privacy
from cbpar.batch import Batch
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
from cbpar.projects.models import Project, Village

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
    "village_id",
)
# What a computed indicator counts: when one of these changes, its baseline is recorded again.
COUNTED = ("source", "measure", "facility_kind", "within_km", "village_id")


# --- indicators ------------------------------------------------------------------------------


def _check_village(initiative: Initiative, data: dict[str, Any]) -> None:
    village_id = data.get("village_id")
    if village_id is not None and village_id not in {v.id for v in villages(initiative)}:
        raise ValueError("village not in project")


def villages(initiative: Initiative) -> list[Village]:
    return list(
        db.session.scalars(
            select(Village)
            .where(Village.project_id == initiative.project_id)
            .order_by(Village.name)
        )
    )


def baseline_date(initiative: Initiative, today: date) -> date:
    """The day a computed indicator's baseline stands for: the initiative's start, or today
    when it has none or starts later (the map cannot tell the future)."""
    start = initiative.starts_on
    return start if start is not None and start <= today else today


def record_baseline(indicator: Indicator, initiative: Initiative) -> None:
    """Record a computed indicator's baseline from the map, once; manual ones are typed."""
    if indicator.source != IndicatorSource.COMPUTED:
        indicator.baseline_on = None
        return
    figures = MapFigures(services.project_of(initiative.project_id))
    as_of = baseline_date(initiative, figures.today)
    indicator.baseline = figures.value(indicator, as_of)
    indicator.baseline_on = as_of if indicator.baseline is not None else None


def add_indicator(initiative: Initiative, data: dict[str, Any]) -> Indicator:
    """Add an indicator; a computed one records its baseline now (or takes `baseline_on`'s)."""
    _check_village(initiative, data)
    indicator = Indicator(
        project_id=initiative.project_id,
        initiative=initiative,
        **{f: data[f] for f in INDICATOR_FIELDS if f in data},
    )
    db.session.add(indicator)
    db.session.flush()
    record_baseline(indicator, initiative)
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
    """Save an edit; a computed indicator keeps its recorded baseline unless what it counts
    changed (then the old figure measured something else, and a new one is recorded)."""
    _check_village(indicator.initiative, data)
    if indicator.source == IndicatorSource.COMPUTED and data.get("source") in (
        IndicatorSource.COMPUTED,
        None,
    ):
        data = {**data, "baseline": indicator.baseline}
    changed = services.save_changes(indicator, data, INDICATOR_FIELDS)
    if set(changed) & set(COUNTED):
        record_baseline(indicator, indicator.initiative)
        db.session.flush()
    return changed


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
    # A computed indicator whose baseline was never recorded (shown as "not recorded").
    baseline_missing: bool = False


class MapFigures:
    """Accessibility answers for computed indicators, each (kind, km, date) asked once."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.today = analysis.project_today(project)
        self._cache: dict[tuple[str, float, date], dict[str, Any]] = {}
        self._villages: dict[int, str] | None = None

    def within(
        self,
        kind: str,
        km: float,
        as_of: date,
        measure: MapMeasure,
        village_id: int | None = None,
    ) -> Decimal:
        key = (kind, km, as_of)
        if key not in self._cache:
            params = analysis.Params(FacilityKind(kind), km, as_of)
            self._cache[key] = analysis.accessibility(self.project.id, params)
        answer = self._cache[key]
        if village_id is not None:
            if self._villages is None:
                self._villages = analysis.village_names(self.project.id)
            name = self._villages.get(village_id)
            # The answer names villages (unique in a project); one with no household is absent.
            answer = next(
                (row for row in answer["by_village"] if row["village"] == name),
                {measure.value: 0, f"{measure.value}_beyond": 0},
            )
        total = answer[measure.value]
        beyond = answer[f"{measure.value}_beyond"]
        return Decimal(int(total) - int(beyond))

    def value(self, indicator: Indicator, as_of: date) -> Decimal | None:
        """A computed indicator's figure on `as_of`, or None if it is not fully defined."""
        if not (indicator.measure and indicator.facility_kind and indicator.within_km):
            return None
        return self.within(
            indicator.facility_kind,
            float(indicator.within_km),
            as_of,
            indicator.measure,
            indicator.village_id,
        )

    def values(self, indicator: Indicator, initiative: Initiative) -> IndicatorValues:
        if indicator.source == IndicatorSource.MANUAL:
            return IndicatorValues(indicator.baseline, indicator.current)
        current = self.value(indicator, self.today)
        if current is None:
            return IndicatorValues(None, None)
        return IndicatorValues(
            indicator.baseline,
            current,
            indicator.baseline_on,
            self.today,
            baseline_missing=indicator.baseline is None,
        )


def indicator_values(
    project: Project,
    initiatives: list[Initiative],
    audience: privacy.Audience | None = None,
) -> dict[int, IndicatorValues]:
    """Each indicator's baseline (as recorded) and current value; figures computed from the map
    are suppressed (1 to 4 become "fewer than 5") for `audience`, by default the current
    member's."""
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
    """Confirmed needs -> initiatives -> funding -> results, in one statement."""
    batch = Batch()
    ready = chain_in(batch, project)
    batch.fetch()
    return ready()


def chain_in(batch: Batch, project: Project) -> Callable[[], Chain]:
    """Add the chain's figures to `batch` (the overview's one statement); the Chain once it
    is fetched."""
    confirmed = batch.scalar(
        select(func.count())
        .select_from(Need)
        .where(Need.project_id == project.id, Need.status.in_(services.ANSWERABLE))
    )
    statuses = batch.rows(
        select(Initiative.status, func.count().label("n"))
        .where(Initiative.project_id == project.id)
        .group_by(Initiative.status)
    )
    indicators = batch.scalar(
        select(func.count(Indicator.id)).where(Indicator.project_id == project.id)
    )
    answered = batch.scalar(
        select(func.count(func.distinct(initiative_need.c.need_id)))
        .select_from(initiative_need)
        .join(Initiative, Initiative.id == initiative_need.c.initiative_id)
        .where(Initiative.project_id == project.id)
    )
    sites = batch.scalar(
        select(func.coalesce(func.sum(SupportPassedOn.sites), 0)).where(
            SupportPassedOn.project_id == project.id
        )
    )
    money = batch.rows(funding.money_query(project))

    def ready() -> Chain:
        by_status = {row["status"]: int(row["n"]) for row in statuses.value}
        pledged, received, in_kind = funding.money_totals(money.value)
        return Chain(
            confirmed_needs=int(confirmed.value or 0),
            answered_needs=int(answered.value or 0),
            initiatives={str(k): v for k, v in by_status.items()},
            pledged=pledged,
            received=received,
            in_kind=in_kind,
            completed=by_status.get(InitiativeStatus.COMPLETED, 0),
            indicators=int(indicators.value or 0),
            sites=int(sites.value or 0),
        )

    return ready
