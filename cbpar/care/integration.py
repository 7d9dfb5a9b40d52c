"""What services and care contribute to shared features: programmes as linkable records (for
the field team; a programme is the "services delivered" step of the project's journey), the
overview's services panel, the children of a household on its page. Children themselves are
never commented on, linked or searched from the shared features."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from flask import Flask, g, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cbpar import events, links
from cbpar.attachments import services as attachment_services
from cbpar.batch import Batch
from cbpar.care import chain, reach, reminders, services
from cbpar.care.models import Child, ContactLog, Programme, ProgrammeSession
from cbpar.comments import services as comment_services
from cbpar.initiatives import results as initiative_results
from cbpar.mapping import layers as map_layers
from cbpar.meetings.services import project_today, to_utc
from cbpar.projects.services import register_home_panel
from cbpar.security import Cap, membership_can

HOME_POSITION = 45  # after initiatives: services follow what the initiatives built
RECENT_DAYS = 28


def children_of(household: Any) -> list[Any]:
    """Template helper: a household's children, if the current member may see children."""
    if not services.can_see(g.get("membership")):
        return []
    return services.children_of(household)


def programme_visible(membership: Any, programme: Any) -> bool:
    if not membership_can(membership, Cap.SEE_CHILDREN):
        return False
    return programme is None or programme.project_id == membership.project_id


def home_panel(project: Any, membership: Any, batch: Batch) -> Callable[[], Any] | None:
    """Sessions of the last 4 weeks for everyone; follow-ups overdue for the field team."""
    today = project_today(project)
    since = to_utc(datetime.combine(today - timedelta(days=RECENT_DAYS - 1), time.min), project)
    programmes = batch.scalar(
        select(func.count()).select_from(Programme).where(Programme.project_id == project.id)
    )
    sessions = batch.scalar(
        select(func.count())
        .select_from(ProgrammeSession)
        .where(ProgrammeSession.project_id == project.id, ProgrammeSession.starts_at >= since)
    )
    overdue = None
    if membership_can(membership, Cap.SEE_CHILDREN):
        overdue = batch.scalar(
            select(func.count())
            .select_from(ContactLog)
            .join(Child, Child.id == ContactLog.child_id)
            .where(
                ContactLog.project_id == project.id,
                ContactLog.follow_up_done_on.is_(None),
                ContactLog.follow_up_on < today,
                Child.withdrawn_at.is_(None),
            )
        )

    def content() -> Any:
        if not programmes.value:
            return None
        context = {"sessions": sessions.value, "days": RECENT_DAYS}
        context["overdue"] = overdue.value if overdue is not None else None
        return "care/_home_panel.html", context

    return content


def init_app(app: Flask) -> None:
    comment_services.exclude(app, "child")
    comment_services.exclude(app, "contact_log")
    # A contact's recordings and photos, for the field roles only; the forms return to the
    # contact's page (its link page is the coding page of its summary).
    attachment_services.register_target(
        app,
        services.CONTACT_FILES,
        services.can_see_files,
        services.can_attach_files,
        services.media_problem,
        lambda c, slug: url_for("care.contact", slug=slug, contact_id=c.id),
    )
    links.register(
        app,
        links.RecordType(
            "programme",
            Programme,
            lambda p: p.name,
            "care.programme",
            "programme_id",
            programme_visible,
            lambda: str(_l("Programme")),
        ),
    )
    register_home_panel(app, home_panel, HOME_POSITION)
    app.add_template_global(children_of, "children_of")
    map_layers.register_layer(app, REACH_LAYER)
    # Initiative indicators from services, the chain's services step, village figures.
    initiative_results.register_measure_source(app, chain.source())
    events.register_reminders(app, reminders.reminders)


# On the community map: children under 6 far from a social-work station and not seen for 30
# days; points for the field team, village figures (small numbers hidden) for the others.
REACH_LAYER = map_layers.MapLayer(
    key="reach",
    label=lambda: str(_l("Service reach")),
    url=lambda project: url_for("care.reach_json", slug=project.slug),
    visible=lambda membership: membership_can(membership, Cap.SEE_VILLAGE_TOTALS),
    legend=lambda: str(
        _l("Children under 6 far from a social-work station, no contact in 30 days")
    ),
    param=map_layers.NumberParam(
        "km", lambda: str(_l("Farther than (km)")), reach.DEFAULT_KM, reach.MIN_KM, reach.MAX_KM
    ),
)
