"""Results: indicators (figures from the map or from the services recorded), support passed on,
and the chain from confirmed needs to results on the project home page.

Initiatives know nothing of services and care: that feature registers what it can measure
(`register_measure_source`, kept per app with cbpar.registry), and the chain's "services
delivered" step, the services indicators and the village figures of the transparency page and
the report come through it. Without a source, none of them is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from cbpar import audit, privacy, registry
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
    "service_measure",
    "programme_id",
    "period_days",
)
# What a computed indicator counts: when one of these changes, its baseline is recorded again.
COUNTED = (
    "source",
    "measure",
    "facility_kind",
    "within_km",
    "village_id",
    "service_measure",
    "programme_id",
    "period_days",
)
RECORDED = (IndicatorSource.COMPUTED, IndicatorSource.SERVICES)  # baselines recorded, not typed
MAX_PERIOD_DAYS = 366 * 5


# --- what services can measure (registered by services and care) ----------------------------


@dataclass(frozen=True)
class ServiceQuery:
    """What a services figure is asked for: the days from `start` (None: from the first
    record) to `end`, both included, optionally one programme and one village."""

    start: date | None
    end: date
    programme_id: int | None = None
    village_id: int | None = None


@dataclass(frozen=True)
class Measured:
    """A services figure, and how many children it is about (None: it is about no child, e.g.
    sessions or hours). For audiences without household details a figure about 1 to 4
    children is not shown."""

    value: Decimal | None
    about: int | None = None


@dataclass(frozen=True)
class ServiceMeasure:
    key: str  # stored in indicator.service_measure (at most 40 characters)
    label: Any  # a lazy string
    compute: Callable[[Project, ServiceQuery], Measured]
    share: bool = False  # a percentage of children: hidden as "not shown", not "fewer than 5"
    children: bool = False  # a count of children (its value is what it is about)


@dataclass
class ServicesStep:
    """The chain's "services delivered" step, over every service recorded so far (the
    attendance rate over the last `attendance_days` when set)."""

    programmes: int
    sessions: int
    children_reached: Any  # int, or privacy.Hidden for audiences without household details
    attendance_rate: Any  # a percentage (Decimal), None when nobody was listed, or Hidden
    volunteer_hours: Decimal
    # Children on the attendance lists the rate counts (only 0 to 4, or 5 meaning "5 or more",
    # matters: 1 to 4 hide the rate from everyone without household details).
    children_listed: int = 0
    attendance_days: int | None = None  # the rate counts the last N days (None: all so far)


@dataclass
class MeasureSource:
    """What a feature offers: its measures, the programmes an indicator may be limited to,
    the chain's services step (added to the overview's batch) and the figures per village."""

    measures: list[ServiceMeasure]
    programmes: Callable[[Project], list[tuple[int, str]]]
    chain: Callable[[Batch, Project], Callable[[], ServicesStep]] | None = None
    # Rows {"village": name, "sessions", "children_reached", "volunteer_hours"}, every service
    # recorded so far, children counted once (in their household's village).
    villages: Callable[[Project], list[dict[str, Any]]] | None = None


def _sources(app: Flask | None = None) -> list[MeasureSource]:
    return registry.slot("initiatives_measure_sources", list, app)


def register_measure_source(app: Flask, source: MeasureSource) -> None:
    """Called from a feature's integration.init_app: what it can measure for indicators."""
    _sources(app).append(source)


def service_measures() -> dict[str, ServiceMeasure]:
    return {m.key: m for source in _sources() for m in source.measures}


def service_programmes(project: Project) -> list[tuple[int, str]]:
    """(id, name) of the programmes a services indicator of `project` may count."""
    return [row for source in _sources() for row in source.programmes(project)]


# --- indicators ------------------------------------------------------------------------------


def _check_village(initiative: Initiative, data: dict[str, Any]) -> None:
    village_id = data.get("village_id")
    if village_id is not None and village_id not in {v.id for v in villages(initiative)}:
        raise ValueError("village not in project")
    programme_id = data.get("programme_id")
    if programme_id is not None and programme_id not in {
        i for i, _name in service_programmes(services.project_of(initiative.project_id))
    }:
        raise ValueError("programme not in project")
    if (
        data.get("source") == IndicatorSource.SERVICES
        and data.get("service_measure") not in service_measures()
    ):
        raise ValueError("unknown service measure")
    period = data.get("period_days")
    if period is not None and not 1 <= period <= MAX_PERIOD_DAYS:
        raise ValueError("period out of range")


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
    """Record a computed indicator's baseline (from the map or from services), once; manual
    ones are typed."""
    if indicator.source not in RECORDED:
        indicator.baseline_on = None
        return
    project = services.project_of(initiative.project_id)
    if indicator.source == IndicatorSource.SERVICES:
        service_figures = ServiceFigures(project)
        as_of = baseline_date(initiative, service_figures.today)
        measured = service_figures.measured(indicator, initiative, as_of)
        indicator.baseline = measured.value if measured is not None else None
        # Recorded even when empty (e.g. no child enrolled yet for a share): "—" as of then.
        indicator.baseline_on = as_of if measured is not None else None
        return
    else:
        figures = MapFigures(project)
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
    _check_village(
        indicator.initiative, {**{f: getattr(indicator, f) for f in INDICATOR_FIELDS}, **data}
    )
    if indicator.source in RECORDED and data.get("source") in (indicator.source, None):
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
    # What an indicator from services counts, in words (None for the others).
    description: str | None = None


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


class ServiceFigures:
    """Figures of indicators from services, through the registered measures."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.today = services.project_today(project)
        self.measures = service_measures()
        self._programmes: dict[int, str] | None = None

    def query(self, indicator: Indicator, initiative: Initiative, as_of: date) -> ServiceQuery:
        """The days counted on `as_of`: the last `period_days`, or since the initiative
        started (all records when it has no start date)."""
        if indicator.period_days:
            start: date | None = as_of - timedelta(days=indicator.period_days - 1)
        else:
            start = initiative.starts_on
        return ServiceQuery(start, as_of, indicator.programme_id, indicator.village_id)

    def measured(
        self, indicator: Indicator, initiative: Initiative, as_of: date
    ) -> Measured | None:
        measure = self.measures.get(indicator.service_measure or "")
        if measure is None:
            return None
        return measure.compute(self.project, self.query(indicator, initiative, as_of))

    def programme_name(self, programme_id: int) -> str:
        if self._programmes is None:
            self._programmes = dict(service_programmes(self.project))
        return self._programmes.get(programme_id, "")

    def describe(self, indicator: Indicator) -> str:
        measure = self.measures.get(indicator.service_measure or "")
        what = str(measure.label) if measure is not None else _("not available")
        parts = [what]
        if indicator.programme_id is not None:
            parts.append(
                _("in %(programme)s", programme=self.programme_name(indicator.programme_id))
            )
        if indicator.village is not None:
            parts.append(_("in %(village)s", village=indicator.village.name))
        if indicator.period_days:
            parts.append(_("over the last %(days)d days", days=indicator.period_days))
        else:
            parts.append(_("since the initiative started"))
        return _("From services: %(what)s.", what=", ".join(parts))

    def values(
        self, indicator: Indicator, initiative: Initiative, audience: privacy.Audience
    ) -> IndicatorValues:
        """Baseline (as recorded) and today's value, shaped for `audience`: a figure about 1
        to 4 children is not shown to anyone without household details."""
        children = privacy.children_audience(audience)
        measure = self.measures.get(indicator.service_measure or "")
        current = self.measured(indicator, initiative, self.today)
        result = IndicatorValues(
            indicator.baseline,
            current.value if current is not None else None,
            indicator.baseline_on,
            self.today if current is not None else None,
            baseline_missing=indicator.baseline_on is None,
            description=self.describe(indicator),
        )
        if measure is None or not children.suppresses:
            return result
        hidden = privacy.WITHHELD if measure.share else privacy.SUPPRESSED
        if current is not None and privacy.is_small(current.about):
            result.current = hidden
        if result.baseline is not None and indicator.baseline_on is not None:
            if measure.share:  # a share: how many children it was about then
                then = self.measured(indicator, initiative, indicator.baseline_on)
                about = then.about if then is not None else None
            elif measure.children:
                about = int(result.baseline)
            else:
                about = None
            if privacy.is_small(about):
                result.baseline = hidden
        return result


def indicator_values(
    project: Project,
    initiatives: list[Initiative],
    audience: privacy.Audience | None = None,
) -> dict[int, IndicatorValues]:
    """Each indicator's baseline (as recorded) and current value; figures computed from the map
    are suppressed (1 to 4 become "fewer than 5") for `audience`, by default the current
    member's; figures from services about 1 to 4 children for everyone without household
    details."""
    figures = MapFigures(project)
    service_figures: ServiceFigures | None = None
    audience = audience or privacy.current_audience()
    values = {}
    for initiative in initiatives:
        for indicator in initiative.indicators:
            if indicator.source == IndicatorSource.SERVICES:
                service_figures = service_figures or ServiceFigures(project)
                values[indicator.id] = service_figures.values(indicator, initiative, audience)
                continue
            value = figures.values(indicator, initiative)
            if indicator.source == IndicatorSource.COMPUTED:
                value.baseline = privacy.suppress(value.baseline, audience)
                value.current = privacy.suppress(value.current, audience)
            values[indicator.id] = value
    return values


# --- services per village (transparency page, report) ----------------------------------------


@dataclass
class VillageServices:
    """Services per village for the public: children counts from 1 to 4 suppressed, and one
    more withheld where the total would give a small one away."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    sessions: int = 0
    children_reached: Any = 0
    volunteer_hours: Decimal = Decimal(0)


def village_services(
    project: Project, audience: privacy.Audience = privacy.Audience.PUBLIC
) -> VillageServices | None:
    """Every service recorded so far, per village, as `audience` may see it (children are
    counted as the most restrictive audience sees them unless `audience` is the field team);
    None when no feature records services or nothing was recorded."""
    raw: list[dict[str, Any]] = []
    for source in _sources():
        if source.villages is not None:
            raw += source.villages(project)
    if not any(r["sessions"] or r["children_reached"] or r["volunteer_hours"] for r in raw):
        return None
    children = privacy.children_audience(audience)
    total = sum(int(r["children_reached"]) for r in raw)
    return VillageServices(
        rows=privacy.suppress_rows(raw, ("children_reached",), children, key="village"),
        sessions=sum(int(r["sessions"]) for r in raw),
        children_reached=privacy.suppress(total, children),
        volunteer_hours=sum((Decimal(r["volunteer_hours"]) for r in raw), Decimal(0)),
    )


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
    # Services delivered (None when no feature records services or none is set up yet).
    services: ServicesStep | None = None

    @property
    def total_initiatives(self) -> int:
        return sum(self.initiatives.values())


def chain(project: Project, audience: privacy.Audience | None = None) -> Chain:
    """Confirmed needs -> initiatives -> funding -> services delivered -> results, in one
    statement."""
    batch = Batch()
    ready = chain_in(batch, project, audience)
    batch.fetch()
    return ready()


def _shaped_step(step: ServicesStep, audience: privacy.Audience) -> ServicesStep:
    children = privacy.children_audience(audience)
    step.children_reached = privacy.suppress(step.children_reached, children)
    if children.suppresses and privacy.is_small(step.children_listed):
        step.attendance_rate = privacy.WITHHELD
    return step


def chain_in(
    batch: Batch, project: Project, audience: privacy.Audience | None = None
) -> Callable[[], Chain]:
    """Add the chain's figures to `batch` (the overview's one statement); the Chain once it
    is fetched, its children counts shaped for `audience` (by default the current member's)."""
    audience = audience or privacy.current_audience()
    steps = [source.chain(batch, project) for source in _sources() if source.chain is not None]
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
            services=next(
                (
                    _shaped_step(step, audience)
                    for step in (ready_step() for ready_step in steps)
                    if step.programmes
                ),
                None,
            ),
        )

    return ready
