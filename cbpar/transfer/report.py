"""The project report for dissemination: figures only, no personal data, printable on A4.

It is made to be handed out, so whoever prints it, its figures are shaped for the public
(cbpar/privacy.py): counts from 1 to 4 read "fewer than 5".

Sections for needs and initiatives appear only when those features' tables exist, so the
report works at every stage of the product.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from cbpar import privacy
from cbpar.db import Base, db
from cbpar.initiatives import funding, results
from cbpar.mapping import analysis
from cbpar.mapping import services as mapping
from cbpar.mapping.models import Facility, FacilityKind
from cbpar.needs import vote_rounds as needs_rounds
from cbpar.needs.models import Need, NeedStatus, VoteMethod, VoteRound
from cbpar.projects.models import Project
from cbpar.qda import services as qda
from cbpar.transfer import report_map

WITHIN_KM = 5.0
AUDIENCE = privacy.Audience.PUBLIC


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


def number(value: Any) -> str:
    """A figure as people read it, in the locale's digits and separators: 42, not 42.0000;
    a suppressed one as its words ("fewer than 5"); nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, privacy.Hidden):
        return value.words()
    if isinstance(value, Decimal):
        value = value.normalize() if value == value.to_integral() else value
    return format_decimal(value)


def method_label(raw: Any) -> str:
    """A vote method as its translated name (Borda count, ...), not its key."""
    try:
        return str(VoteMethod(str(getattr(raw, "value", raw))).label)
    except ValueError:
        return str(raw)


def turnout(ballots: int, eligible: int | None, guest_sheets: int) -> str:
    """Who could vote and how many did, in words: "8 ballots cast. 5 members could vote,
    and 3 paper sheets were issued to guests." (ballots include guests' paper sheets)."""
    words = [ngettext("%(num)d ballot cast.", "%(num)d ballots cast.", ballots)]
    if eligible:
        words.append(
            ngettext("%(num)d member could vote.", "%(num)d members could vote.", eligible)
        )
    if guest_sheets:
        words.append(
            ngettext(
                "%(num)d paper sheet was issued to a guest.",
                "%(num)d paper sheets were issued to guests.",
                guest_sheets,
            )
        )
    return " ".join(words)


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
        # Tied needs share a place and the next place skips (1, 1, 3), as on the results page.
        ranking, place = [], 1
        for tier in result.get("ranking", []):
            ranking.append({"place": place, "needs": [titles.get(i, str(i)) for i in tier]})
            place += len(tier)
        try:
            eligible = needs_rounds.eligible_count(vote)
        except Exception:  # the needs feature may change its services; the report still prints
            eligible = None
        ballots = int(result.get("ballots_cast", 0) or 0)
        rounds.append(
            {
                "title": vote.title,
                "method": method_label(result.get("method", vote.method)),
                "ballots": ballots,
                "eligible": eligible,
                "turnout": turnout(ballots, eligible, int(vote.guest_sheets or 0)),
                "ranking": ranking,
                "closed": vote.closed_at.date(),
            }
        )
    return rounds


def _money(table: dict[str, Any]) -> str:
    return ", ".join(
        f"{currency} {format_decimal(amount, format='#,##0.00')}"
        for currency, amount in sorted(table.items())
    )


def _indicator(indicator: Any, value: Any) -> dict[str, Any]:
    """An indicator's figures as text: baseline (as recorded) beside the current value."""
    return {
        "name": indicator.name,
        "unit": indicator.unit,
        "village": indicator.village.name if indicator.village else "",
        "baseline": _("not recorded") if value.baseline_missing else number(value.baseline),
        "baseline_as_of": value.baseline_as_of,
        "current": number(value.current),
        "current_as_of": value.current_as_of,
        "target": number(indicator.target),
    }


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
                "target": _money({item.currency: item.budget_target}) if item.budget_target else "",
                "received": _money(totals.received),
                "pledged": _money(totals.pledged),
                "in_kind": _money(totals.in_kind),
                "milestones": [
                    (m.title, m.planned_on, m.done_on)
                    for m in sorted(
                        item.milestones, key=lambda m: m.done_on or m.planned_on or date.max
                    )
                ],
                "indicators": [_indicator(ind, values[ind.id]) for ind in item.indicators],
            }
        )
    return summary


def services_by_village(project: Project) -> dict[str, Any] | None:
    """Services delivered per village (every service recorded so far), shaped for the public:
    children counts from 1 to 4 read "fewer than 5". None when nothing was recorded."""
    figures = results.village_services(project, AUDIENCE)
    if figures is None:
        return None
    return {
        "rows": [
            {
                "village": row["village"],
                "sessions": number(row["sessions"]),
                "children_reached": number(row["children_reached"]),
                "volunteer_hours": number(row["volunteer_hours"]),
            }
            for row in figures.rows
        ],
        "sessions": number(figures.sessions),
        "children_reached": number(figures.children_reached),
        "volunteer_hours": number(figures.volunteer_hours),
    }


# Needs whose evidence the report gives: confirmed ones (and those it led to), and ranked ones.
SETTLED = (NeedStatus.CONFIRMED, NeedStatus.BEING_ADDRESSED, NeedStatus.MET)


def _supported(passages: Any, families: Any, code: str) -> str:
    values = {"passages": number(passages), "families": number(families), "code": code}
    if isinstance(families, privacy.Hidden) or isinstance(passages, privacy.Hidden):
        return _("Supported by %(passages)s passages from %(families)s families (code: %(code)s)",
                 **values)  # fmt: skip
    return ngettext(
        "Supported by %(passages)s passages from %(num)d family (code: %(code)s)",
        "Supported by %(passages)s passages from %(num)d families (code: %(code)s)",
        families,
        **values,
    )


def need_evidence(project: Project) -> list[dict[str, Any]] | None:
    """For each confirmed or ranked need that cites codes or coded passages, one line per
    cited code ("Supported by 12 passages from 9 families (code: distance)") and the count of
    cited passages. Figures only, shaped for the public like every figure here: passages'
    words never reach the report (its readers are anyone it is handed to, who may not see the
    sources), and passages whose consent was withdrawn never count. None without needs or
    qualitative coding."""
    if not has_table("need") or not has_table("qda_coding"):
        return None
    ranked: set[int] = set()
    for result in db.session.scalars(
        select(VoteRound.result).where(
            VoteRound.project_id == project.id, VoteRound.closed_at.is_not(None)
        )
    ):
        for tier in (result or {}).get("ranking", []):
            ranked.update(int(i) for i in tier)
    needs = list(
        db.session.scalars(
            select(Need)
            .where(
                Need.project_id == project.id,
                Need.status.in_(SETTLED) | Need.id.in_(ranked),
            )
            .order_by(Need.id)
        )
    )
    figures = qda.evidence_figures(project, [n.id for n in needs])
    shown = []
    for need in needs:
        evidence = figures.get(need.id)
        if evidence is None:
            continue
        lines = [
            _supported(
                privacy.suppress(code.passages, AUDIENCE),
                privacy.suppress(code.families, AUDIENCE),
                code.name,
            )
            for code in evidence.codes
        ]
        if evidence.passages:
            passages = privacy.suppress(evidence.passages, AUDIENCE)
            lines.append(_("Passages cited: %(num)s", num=number(passages)))
        shown.append({"title": need.title, "lines": lines})
    return shown


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
        "services": services_by_village(project),
        "evidence": need_evidence(project),
        "svg": report_map.map_svg(totals, facilities, WITHIN_KM),
        "number": number,
    }


# --- Markdown --------------------------------------------------------------------------------


def markdown(data: dict[str, Any]) -> str:
    t_ = number  # a figure as people read it: "fewer than 5" for a suppressed one
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
            lines += [
                f"### {vote['title']}",
                "",
                f"{_('Method')}: {vote['method']}. {vote['turnout']}",
                "",
            ]
            for row in vote["ranking"]:
                lines.append(f"{row['place']}. {' = '.join(row['needs'])}")
            lines.append("")
    if data.get("evidence"):
        lines += [f"## {_('Evidence for the needs')}", ""]
        for need in data["evidence"]:
            lines += [f"### {need['title']}", ""]
            lines += [f"- {line}" for line in need["lines"]]
            lines.append("")
    if data.get("services"):
        services = data["services"]
        lines += [
            f"## {_('Services delivered')}",
            "",
            _("Every service recorded so far, per village."),
            "",
            f"| {_('Village')} | {_('Sessions')} | {_('Children reached')} | "
            f"{_('Volunteer hours')} |",
            "| --- | --: | --: | --: |",
        ]
        for row in [*services["rows"], {**services, "village": _("All villages")}]:
            lines.append(
                f"| {row['village']} | {row['sessions']} | {row['children_reached']} | "
                f"{row['volunteer_hours']} |"
            )
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
            for ind in item["indicators"]:
                where = f" ({ind['village']})" if ind["village"] else ""
                baseline = _("baseline %(value)s", value=ind["baseline"] or "—")
                if ind["baseline_as_of"]:
                    baseline += f" ({ind['baseline_as_of'].isoformat()})"
                now = _("now %(value)s", value=ind["current"] or "—")
                if ind["current_as_of"]:
                    now += f" ({ind['current_as_of'].isoformat()})"
                goal = f"; {_('target')} {ind['target']}" if ind["target"] else ""
                unit = f" {ind['unit']}" if ind["unit"] else ""
                lines.append(f"- {ind['name']}{where}: {baseline} → {now}{unit}{goal}")
            lines.append("")
    return "\n".join(lines)
