"""Funding: funders, contributions, an initiative's totals and the project's money."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from cbpar import audit
from cbpar.db import db
from cbpar.initiatives import services
from cbpar.initiatives.models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Funder,
    FunderType,
    Initiative,
    InitiativeStatus,
)
from cbpar.projects.models import Project

ZERO = Decimal("0.00")
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
    return services.save_changes(funder, data, ("name", "type", "place"))


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
    if get_funder(services.project_of(initiative.project_id), data["funder_id"]) is None:
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
    return services.save_changes(contribution, data, CONTRIBUTION_FIELDS)


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


def money_query(project: Project) -> Select[Any]:
    """The rows project_money sums (the overview fetches them in its one batch)."""
    return select(
        Contribution.kind,
        Contribution.status,
        Contribution.currency,
        Contribution.amount,
        Contribution.estimated_value,
    ).where(Contribution.project_id == project.id)


def project_money(project: Project) -> tuple[dict[str, Decimal], ...]:
    """Cash pledged, cash received and in-kind value per currency, summed exactly in Python."""
    return money_totals(db.session.execute(money_query(project)))


def money_totals(rows: Iterable[Any]) -> tuple[dict[str, Decimal], ...]:
    """Sum the rows of money_query (tuples, or dicts keyed by column name)."""
    pledged: dict[str, Decimal] = {}
    received: dict[str, Decimal] = {}
    in_kind: dict[str, Decimal] = {}
    for row in rows:
        if isinstance(row, dict):
            row = tuple(row[k] for k in ("kind", "status", "currency", "amount", "estimated_value"))
        kind, status, currency, amount, value = row
        if kind == ContributionKind.CASH:
            _add(pledged, currency, amount)
            if status == ContributionStatus.RECEIVED:
                _add(received, currency, amount)
        else:
            _add(in_kind, currency, value)
    return sum_tables([pledged]), sum_tables([received]), sum_tables([in_kind])


@dataclass
class ProjectFunding:
    """The money of the initiatives the transparency page shows (every one not cancelled)."""

    initiatives: list[Initiative]
    totals: dict[int, Totals]
    raised: dict[str, Decimal]
    pledged: dict[str, Decimal]
    in_kind: dict[str, Decimal]
    spent: dict[str, Decimal]


def project_funding(project: Project) -> ProjectFunding:
    initiatives = [
        i for i in services.list_initiatives(project) if i.status != InitiativeStatus.CANCELLED
    ]
    each = {i.id: totals(i) for i in initiatives}
    return ProjectFunding(
        initiatives=initiatives,
        totals=each,
        raised=sum_tables([t.received for t in each.values()]),
        pledged=sum_tables([t.pledged for t in each.values()]),
        in_kind=sum_tables([t.in_kind for t in each.values()]),
        spent=sum_tables([{i.currency: i.spent} for i in initiatives if i.spent is not None]),
    )
