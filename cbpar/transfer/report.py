"""The project report for dissemination: figures only, no personal data, printable on A4.

It is made to be handed out, so whoever prints it, its figures are shaped for the public
(cbpar/privacy.py): counts from 1 to 4 read "fewer than 5".

Sections for needs and initiatives appear only when those features' tables exist, so the
report works at every stage of the product.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func, select

from cbpar import privacy
from cbpar.db import Base, db
from cbpar.initiatives import funding, results
from cbpar.mapping import analysis
from cbpar.mapping import services as mapping
from cbpar.mapping.models import Facility, FacilityKind
from cbpar.needs import vote_rounds as needs_rounds
from cbpar.needs.models import Need, VoteRound
from cbpar.projects.models import Project

WITHIN_KM = 5.0
AUDIENCE = privacy.Audience.PUBLIC
KIND_COLOURS = {
    FacilityKind.KINDERGARTEN: "#c0392b",
    FacilityKind.PRIMARY_SCHOOL: "#2471a3",
    FacilityKind.CLINIC: "#1e8449",
}


def has_table(name: str) -> bool:
    return name in Base.metadata.tables


def _then_date(project: Project, today: date) -> date:
    """The day before the most recent kindergarten opened, else the project's first day."""
    opened = db.session.scalar(
        select(func.max(Facility.opened_on)).where(
            Facility.project_id == project.id,
            Facility.kind == FacilityKind.KINDERGARTEN,
            Facility.opened_on <= today,
        )
    )
    return opened - timedelta(days=1) if opened else project.created_at.date()


def accessibility(project: Project) -> dict[str, Any]:
    today = analysis.project_today(project)
    then = _then_date(project, today)
    now_figures = privacy.shape_accessibility(
        analysis.accessibility(
            project.id, analysis.Params(FacilityKind.KINDERGARTEN, WITHIN_KM, today)
        ),
        AUDIENCE,
    )
    then_figures = privacy.shape_accessibility(
        analysis.accessibility(
            project.id, analysis.Params(FacilityKind.KINDERGARTEN, WITHIN_KM, then)
        ),
        AUDIENCE,
    )
    return {"within_km": WITHIN_KM, "then": then_figures, "now": now_figures}


def vote_rounds(project: Project) -> list[dict[str, Any]] | None:
    if not has_table("vote_round") or not has_table("need"):
        return None
    titles = dict(
        db.session.execute(select(Need.id, Need.title).where(Need.project_id == project.id)).all()
    )
    rounds = []
    for vote in db.session.scalars(
        select(VoteRound)
        .where(VoteRound.project_id == project.id, VoteRound.closed_at.is_not(None))
        .order_by(VoteRound.closed_at)
    ):
        result = vote.result or {}
        ranking = [[titles.get(i, str(i)) for i in tier] for tier in result.get("ranking", [])]
        try:
            eligible = needs_rounds.eligible_count(vote)
        except Exception:  # the needs feature may change its services; the report still prints
            eligible = None
        rounds.append(
            {
                "title": vote.title,
                "method": str(result.get("method", vote.method)),
                "ballots": result.get("ballots_cast", 0),
                "eligible": eligible,
                "ranking": ranking,
                "closed": vote.closed_at.date(),
            }
        )
    return rounds


def _money(table: dict[str, Any]) -> str:
    return ", ".join(f"{currency} {amount:,.2f}" for currency, amount in sorted(table.items()))


def initiative_summary(project: Project) -> list[dict[str, Any]]:
    """Each initiative as the transparency page shows it: funding, milestones, indicators.

    Only what observers may see: no member names, no individual donors, no milestone notes.
    """
    money = funding.project_funding(project)
    shown = money.initiatives
    values = results.indicator_values(project, shown, AUDIENCE)
    summary = []
    for item in shown:
        totals = money.totals[item.id]
        summary.append(
            {
                "title": item.title,
                "status": str(item.status.label),
                "target": f"{item.currency} {item.budget_target:,.2f}"
                if item.budget_target
                else "",
                "received": _money(totals.received),
                "pledged": _money(totals.pledged),
                "in_kind": _money(totals.in_kind),
                "milestones": [
                    (m.title, m.planned_on, m.done_on)
                    for m in sorted(
                        item.milestones, key=lambda m: m.done_on or m.planned_on or date.max
                    )
                ],
                "indicators": [
                    (
                        ind.name,
                        ind.unit,
                        values[ind.id].baseline,
                        ind.target,
                        values[ind.id].current,
                    )
                    for ind in item.indicators
                ],
            }
        )
    return summary


def build(project: Project) -> dict[str, Any]:
    facilities = list(db.session.scalars(mapping.facilities_query(project)))
    totals = mapping.village_totals(project, AUDIENCE)
    return {
        "project": project,
        "today": analysis.project_today(project),
        "villages": totals,
        "facilities": facilities,
        "access": accessibility(project),
        "votes": vote_rounds(project),
        "initiatives": initiative_summary(project),
        "svg": map_svg(totals, facilities),
    }


# --- the map as SVG --------------------------------------------------------------------------


def map_svg(totals: list[dict[str, Any]], facilities: list[Any], width: int = 640) -> Markup:
    """Villages (circles sized by households) and facilities (squares), drawn to scale."""
    points = [(t["village"].center_lat, t["village"].center_lon) for t in totals]
    points = [p for p in points if None not in p] + [(f.lat, f.lon) for f in facilities]
    if not points:
        return Markup("")
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    mid = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * mid, 1e-3)
    span_y = max(max(lats) - min(lats), 1e-3)
    pad = 40
    scale = (width - 2 * pad) / max(span_x, span_y)
    height = int(span_y * scale + 2 * pad)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (pad + (lon - min(lons)) * mid * scale, height - pad - (lat - min(lats)) * scale)

    km = WITHIN_KM  # the scale bar: this many km, at 111.32 km per degree of latitude
    bar = WITHIN_KM / 111.32 * scale
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="report-map" aria-label="{escape(_("Map of villages and facilities"))}">',
        f'<rect width="{width}" height="{height}" fill="#fbfaf7" stroke="#999"/>',
    ]
    for t in totals:
        village = t["village"]
        if village.center_lat is None or village.center_lon is None:
            continue
        x, y = xy(village.center_lat, village.center_lon)
        r = 6 + 2 * math.sqrt(privacy.number(t["households"]))
        households = privacy.text(t["households"])
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#f4d03f" fill-opacity="0.5" '
            f'stroke="#7d6608"/><text x="{x:.1f}" y="{y - r - 4:.1f}" text-anchor="middle" '
            f'font-size="13">{escape(village.name)} ({escape(households)})</text>'
        )
    for facility in facilities:
        x, y = xy(facility.lat, facility.lon)
        colour = KIND_COLOURS.get(facility.kind, "#555")
        parts.append(
            f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}">'
            f"<title>{escape(facility.name)}</title></rect>"
            f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" font-size="11">{escape(facility.name)}</text>'
        )
    parts.append(
        f'<line x1="{pad}" y1="{height - 15}" x2="{pad + bar:.1f}" y2="{height - 15}" '
        f'stroke="#000" stroke-width="3"/><text x="{pad}" y="{height - 20}" font-size="11">'
        f"{km:g} km</text></svg>"
    )
    return Markup("".join(parts))


# --- Markdown --------------------------------------------------------------------------------


def markdown(data: dict[str, Any]) -> str:
    t_ = privacy.text  # a figure as words: "fewer than 5" for a suppressed one
    project = data["project"]
    access = data["access"]
    lines = [f"# {project.name}", ""]
    if project.region:
        lines += [f"{_('Region')}: {project.region}", ""]
    if project.description:
        lines += [project.description.strip(), ""]
    lines += [
        f"## {_('Villages')}",
        "",
        f"| {_('Village')} | {_('Households')} | "
        f"{_('Children under 6')} | {_('Left-behind children')} |",
        "| --- | --: | --: | --: |",
    ]
    for t in data["villages"]:
        lines.append(
            f"| {t['village'].name} | {t_(t['households'])} | {t_(t['children_under_6'])} | "
            f"{t_(t['left_behind_children'])} |"
        )
    lines += ["", f"## {_('Facilities')}", ""]
    for f in data["facilities"]:
        opened = f" ({f.opened_on.isoformat()})" if f.opened_on else ""
        lines.append(f"- {f.name}: {f.kind.label}, {f.status.label}{opened}")
    then, now = access["then"], access["now"]
    lines += [
        "",
        f"## {_('Access to a kindergarten')}",
        "",
        _("Households more than %(km)g km from an operating kindergarten.", km=access["within_km"]),
        "",
        f"| | {then['as_of']} | {now['as_of']} |",
        "| --- | --: | --: |",
        f"| {_('Households')} | {t_(then['households_beyond'])} | {t_(now['households_beyond'])} |",
        f"| {_('Children under 6')} | {t_(then['children_under_6_beyond'])} | "
        f"{t_(now['children_under_6_beyond'])} |",
        "",
        f"{_('Method')}: {now['method']}",
        "",
    ]
    if data["votes"] is not None:
        lines += [f"## {_('Needs ranking')}", ""]
        for vote in data["votes"]:
            turnout = f"{vote['ballots']}" + (f" / {vote['eligible']}" if vote["eligible"] else "")
            lines += [
                f"### {vote['title']}",
                "",
                f"{_('Method')}: {vote['method']}; {_('Ballots')}: {turnout}",
                "",
            ]
            for place, tier in enumerate(vote["ranking"], start=1):
                lines.append(f"{place}. {' = '.join(tier)}")
            lines.append("")
    if data["initiatives"]:
        lines += [f"## {_('Initiatives, funding and milestones')}", ""]
        for item in data["initiatives"]:
            lines += [f"### {item['title']}", "", f"{_('Status')}: {item['status']}"]
            for label, key in ((_("Target"), "target"), (_("Received"), "received"),
                               (_("Pledged"), "pledged"), (_("In kind"), "in_kind")):  # fmt: skip
                if item[key]:
                    lines.append(f"- {label}: {item[key]}")
            for title, planned, done in item["milestones"]:
                when = done.isoformat() if done else f"{_('planned')} {planned or '?'}"
                lines.append(f"- {title}: {when}")
            for name, unit, baseline, target, current in item["indicators"]:
                figures = " → ".join(t_(v) for v in (baseline, current) if v is not None)
                goal = f" ({_('target')} {target})" if target is not None else ""
                lines.append(f"- {name}: {figures} {unit}{goal}".rstrip())
            lines.append("")
    return "\n".join(lines)
