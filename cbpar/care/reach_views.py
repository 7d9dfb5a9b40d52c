"""The service-reach layer's data for the community map (cbpar/care/reach.py): points for the
field team, village figures for everyone else."""

from __future__ import annotations

from flask import abort, g, jsonify, request

from cbpar import privacy
from cbpar.access import require
from cbpar.care import bp, reach
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import no_store


@bp.route("/projects/<slug>/care/reach.json")
@require(Cap.SEE_VILLAGE_TOTALS)
def reach_json(project: Project):
    field = membership_can(g.membership, Cap.SEE_CHILDREN)
    shape = request.args.get("shape") or ("points" if field else "villages")
    if shape not in ("points", "villages"):
        return no_store(jsonify(error="shape: points or villages"), 400)
    if shape == "points" and not field:
        abort(403)  # a child's household is for the field team only
    audience = privacy.audience_of(g.membership)
    km, problem = reach.parse_km(request.args.get("km"), audience)
    if km is None:
        return no_store(jsonify(error=problem), 400)
    figures = reach.compute(project, km)
    return no_store(jsonify(reach.answer(project, figures, shape == "points", audience)))
