"""The accessibility endpoint: how many live beyond a distance from a kind of facility."""

from __future__ import annotations

from flask import g, request

from cbpar import privacy
from cbpar.access import require
from cbpar.api import bp, cached
from cbpar.api.responses import error, json_response
from cbpar.mapping import analysis, mapdata
from cbpar.projects.models import Project
from cbpar.security import Cap


def _params(project: Project, audience: privacy.Audience):
    """The parameters, or an error response (400) naming the parameter that is wrong.

    Roles without household access may not measure within less than 1 km (a what-if circle
    that small can hold a single house).
    """
    params, errors = analysis.parse_params(request.args, analysis.project_today(project))
    if params is None:
        name, message = next(iter(errors.items()))
        return None, error(name, message)
    refused = privacy.radius_error(params.within_km, audience)
    if refused:
        return None, error("within_km", refused)
    return params, None


@bp.route("/projects/<slug>/accessibility")
@require(Cap.SEE_VILLAGE_TOTALS)
def accessibility(project: Project):
    """Village-level figures only, so every member (observers too) may ask; for roles without
    household access counts from 1 to 4 are "<5" (see cbpar/privacy.py)."""
    audience = privacy.audience_of(g.membership)
    params, failed = _params(project, audience)
    if params is None:
        return failed
    result = analysis.accessibility(project.id, params)
    return json_response(privacy.shape_accessibility(result, audience), request)


@bp.route("/projects/<slug>/accessibility/points")
@require(Cap.SEE_VILLAGE_TOTALS)
def accessibility_points(project: Project):
    """Counted facilities, plus each household's point and distance for roles that see points.

    A point and a distance carry no household details, so committee members may have them
    (rounded to about 10 m); observers get the facilities only.
    """
    audience = privacy.audience_of(g.membership)
    params, failed = _params(project, audience)
    if params is None:
        return failed
    # Built once per change of the map data and question; the answer does not depend on the
    # candidate sites, so they are not part of the key.
    question = (params.kind.value, repr(params.within_km), params.as_of.isoformat())
    found = mapdata.lookup(
        project.id,
        "accessibility.points",
        audience,
        question,
        lambda: mapdata.accessibility_points(
            analysis.household_distances(project.id, params, audience)
        ),
    )
    return cached.respond(found, request, "application/json")
