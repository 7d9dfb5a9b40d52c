"""The services dashboard: a period's figures with printable charts, for every member
(children's counts suppressed for roles without household access), and its JSON twin in the
API (cbpar/api/programmes.py)."""

from __future__ import annotations

from flask import g, render_template, request

from cbpar import privacy
from cbpar.access import require
from cbpar.care import bp, figures
from cbpar.care.models import TargetKind
from cbpar.meetings.services import project_today
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import no_store


@bp.route("/projects/<slug>/services")
@require(Cap.VIEW_PROJECT)
def dashboard(project: Project):
    start, end, _problem = figures.period(
        project_today(project), request.args.get("from"), request.args.get("to")
    )
    audience = privacy.audience_of(g.membership)
    figures_ = figures.summary(project, start, end, audience)
    context = {
        "project": project,
        "figures": figures_,
        "start": start,
        "end": end,
        "target_labels": {k.value: k.label for k in TargetKind},
        "peak": max([r["sessions"] for r in figures_["by_month"]] or [0]),
        "peak_children": max(
            [privacy.number(r["children_reached"]) for r in figures_["by_month"]] or [0]
        ),
    }
    return no_store(render_template("care/dashboard.html", **context))
