"""The accessibility endpoint: how many live beyond a distance from a kind of facility."""

from __future__ import annotations

from flask import g, request

from cbpar.api import bp
from cbpar.api.responses import error, json_response
from cbpar.mapping import analysis
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can, require


def _bad_parameter(errors: dict[str, str]):
    name, message = next(iter(errors.items()))
    return error(name, message)


@bp.route("/projects/<slug>/accessibility")
@require(Cap.SEE_VILLAGE_TOTALS)
def accessibility(project: Project):
    """Village-level figures only, so every member (observers too) may ask."""
    params, errors = analysis.parse_params(request.args, analysis.project_today(project))
    if params is None:
        return _bad_parameter(errors)
    return json_response(analysis.accessibility(project.id, params), request)


@bp.route("/projects/<slug>/accessibility/points")
@require(Cap.SEE_VILLAGE_TOTALS)
def accessibility_points(project: Project):
    """Counted facilities, plus each household's point and distance for roles that see points.

    A point and a distance carry no household details, so committee members may have them;
    observers get the facilities only.
    """
    params, errors = analysis.parse_params(request.args, analysis.project_today(project))
    if params is None:
        return _bad_parameter(errors)
    points = membership_can(g.membership, Cap.SEE_HOUSEHOLD_POINTS)
    result = analysis.household_distances(project.id, params, with_households=points)
    return json_response(result, request)
