"""Shared set-up for the initiatives tests: records made directly, committed in the test's
outer transaction (rolled back afterwards)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select

from cbpar.db import db
from cbpar.initiatives.models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Funder,
    FunderType,
    Indicator,
    IndicatorSource,
    Initiative,
    InitiativeStatus,
    Milestone,
)
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household
from cbpar.needs.models import Need, NeedCategory, NeedStatus
from cbpar.projects.models import Project, Village

# Shuanghe's centre, and a point about 11 km away (the town's kindergarten).
SH = (42.3630, 119.8350)
TOWN = (42.2930, 119.9200)


def seed(app: Any, fn: Callable[[Project], Any], slug: str = "p1") -> Any:
    """Run `fn(project)` in its own app context and commit; returns what it returns."""
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == slug))
        result = fn(project)
        db.session.commit()
        return result


def edit_version(client: Any, edit_url: str) -> str:
    """The version an edit page was loaded with (its hidden `version` field)."""
    page = client.get(edit_url).get_data(as_text=True)
    match = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert match, "the edit form has no version field"
    return match[1]


def confirmed_need(project: Project, title: str = "A kindergarten in Shuanghe") -> int:
    need = Need(
        project_id=project.id,
        title=title,
        category=NeedCategory.CHILDCARE,
        status=NeedStatus.CONFIRMED,
    )
    db.session.add(need)
    db.session.flush()
    return need.id


def planned_kindergarten(project: Project) -> int:
    facility = Facility(
        project_id=project.id,
        name="Shuanghe Kindergarten (planned)",
        kind=FacilityKind.KINDERGARTEN,
        status=FacilityStatus.PLANNED,
        lat=SH[0],
        lon=SH[1],
    )
    db.session.add(facility)
    db.session.flush()
    return facility.id


def town_kindergarten_and_households(project: Project, n: int = 3) -> None:
    """A kindergarten ~11 km away, and `n` households with 2 children under 6 in Shuanghe."""
    village = db.session.scalar(select(Village).where(Village.project_id == project.id))
    db.session.add(
        Facility(
            project_id=project.id,
            name="Town Kindergarten",
            kind=FacilityKind.KINDERGARTEN,
            status=FacilityStatus.OPERATING,
            lat=TOWN[0],
            lon=TOWN[1],
            opened_on=date(2008, 9, 1),
        )
    )
    for i in range(n):
        db.session.add(
            Household(
                project_id=project.id,
                village_id=village.id,
                number=i + 1,
                code=f"SH-{i + 1:03d}",
                lat=SH[0] + 0.001 * i,
                lon=SH[1],
                members=4,
                children_under_6=2,
            )
        )
    db.session.flush()


def full_initiative(project: Project, title: str, **fields: Any) -> Initiative:
    """An initiative with two contributions, a milestone and an indicator."""
    funder = db.session.scalar(
        select(Funder).where(Funder.project_id == project.id, Funder.name == "Foundation A")
    )
    if funder is None:
        funder = Funder(project_id=project.id, name="Foundation A", type=FunderType.FOUNDATION)
        db.session.add(funder)
    initiative = Initiative(
        project_id=project.id,
        title=title,
        status=fields.pop("status", InitiativeStatus.FUNDRAISING),
        budget_target=Decimal("1000.00"),
        currency="CNY",
        **fields,
    )
    db.session.add(initiative)
    db.session.flush()
    for amount in ("100.10", "200.20"):
        db.session.add(
            Contribution(
                project_id=project.id,
                initiative_id=initiative.id,
                funder_id=funder.id,
                kind=ContributionKind.CASH,
                status=ContributionStatus.RECEIVED,
                amount=Decimal(amount),
                currency="CNY",
            )
        )
    db.session.add(
        Milestone(
            project_id=project.id,
            initiative_id=initiative.id,
            title=f"{title}: plan",
            planned_on=date(2020, 6, 1),
        )
    )
    db.session.add(
        Indicator(
            project_id=project.id,
            initiative_id=initiative.id,
            name="Children enrolled",
            source=IndicatorSource.MANUAL,
            baseline=Decimal(0),
            current=Decimal(12),
        )
    )
    db.session.flush()
    return initiative


class StatementCounter:
    """Counts SQL statements sent while active."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.count = engine, 0

    def _before(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
