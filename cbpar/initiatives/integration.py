"""What initiatives contribute to shared features: initiatives and milestones as linkable
records (milestones with photos), the home page's chain from needs to results, and the
template helpers for amounts and figures."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask, g
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from cbpar import links, privacy
from cbpar.attachments import services as attachment_services
from cbpar.batch import Batch
from cbpar.initiatives import results, services
from cbpar.initiatives.models import Initiative, Milestone
from cbpar.projects.services import register_home_panel
from cbpar.security import Cap, membership_can

HOME_POSITION = 40  # last on the project home page


def money(amount: Decimal | None, currency: str = "") -> str:
    """An exact amount with its currency code, e.g. "CNY 120,000.00"."""
    if amount is None:
        return "—"
    text = format_decimal(amount, format="#,##0.00")
    return f"{currency} {text}".strip()


def figure(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, privacy.Hidden):  # a small number suppressed: "fewer than 5"
        return value
    return format_decimal(value.normalize() if value == value.to_integral() else value)


def initiatives_answering(need: Any) -> list[Initiative]:
    """For the need page (templates/initiatives/_answering.html)."""
    if not membership_can(g.get("membership"), Cap.READ_INITIATIVES):
        return []
    return services.initiatives_for_need(need)


def home_panel(project: Any, membership: Any, batch: Batch) -> Callable[[], Any] | None:
    if not membership_can(membership, Cap.READ_INITIATIVES):
        return None
    chain = results.chain_in(batch, project)
    today = services.project_today(project)
    late_initiatives = batch.scalar(services.overdue_initiatives_query(project, today))
    late_milestones = batch.scalar(services.overdue_milestones_query(project, today))
    return lambda: (
        "initiatives/_home_panel.html",
        {
            "chain": chain(),
            "late_initiatives": int(late_initiatives.value or 0),
            "late_milestones": int(late_milestones.value or 0),
        },
    )


def init_app(app: Flask) -> None:
    read = links.needs(Cap.READ_INITIATIVES)
    links.register(
        app,
        links.RecordType(
            "initiative", Initiative, lambda i: i.title, "initiatives.initiative",
            "initiative_id", read, lambda: str(_l("Initiative")),
        ),
        links.RecordType(
            "milestone", Milestone, lambda m: m.title, "initiatives.milestone",
            "milestone_id", read, lambda: str(_l("Milestone")),
        ),
    )  # fmt: skip
    # Photos are evidence for the team; observers see the figures, not the pictures.
    attachment_services.register_target(
        app,
        "milestone",
        lambda membership, _m: membership_can(membership, Cap.SEE_COMMUNITY_MEMOS),
        lambda membership, _m: membership_can(membership, Cap.EDIT_INITIATIVES),
    )
    register_home_panel(app, home_panel, HOME_POSITION)
    app.add_template_filter(money, "money")
    app.add_template_filter(figure, "figure")
    app.add_template_global(initiatives_answering, "initiatives_answering")
