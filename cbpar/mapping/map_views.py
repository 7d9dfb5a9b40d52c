"""The map page and the accessibility analysis page (with what-if siting and saved analyses)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from cbpar import audit, csvout, privacy
from cbpar.access import require
from cbpar.db import writes
from cbpar.mapping import analyses, analysis, basemap, bp, exports, layers, tiles
from cbpar.mapping.models import FacilityKind, FacilityStatus
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import no_store

MAX_NAME_LENGTH = 200


def _map_parts(project: Project) -> basemap.MapParts:
    source = tiles.basemap(current_app.config, request.script_root)
    return basemap.build(
        center=(project.map_center_lat, project.map_center_lon),
        zoom=project.map_zoom or 11,
        tiles=source.tiles,
        attribution=source.attribution,
        static_url=lambda path: url_for("static", filename=path),
        max_native_zoom=source.max_native_zoom,
    )


def _offline_config(project: Project, *, facilities: bool) -> dict:
    """For map-offline.js: what it draws from the project's data when no tiles load."""
    return {
        "villagesUrl": url_for("api.villages_geojson", slug=project.slug),
        "facilitiesUrl": url_for("api.facilities_geojson", slug=project.slug)
        if facilities
        else None,
        "text": {
            "legend": _("Legend"),
            "village": _("Village"),
            "names": _("Names on the map"),
            "note": _("No basemap: villages and facilities drawn from the project's records."),
        },
    }


def _map_texts() -> dict[str, str]:
    """Words map.js and analysis.js show, translated here so the scripts stay static files."""
    return {
        "households": _("Households"),
        "facilities": _("Facilities"),
        "villages": _("Village totals"),
        "left_behind": _("With left-behind children"),
        "not_left_behind": _("No left-behind children"),
        "unknown": _("Details not shown to your role"),
        "household": _("Household"),
        "suppressed": _("fewer than 5"),
        "withheld": _("not shown"),
        "size_note": _("Larger dot: more children under 6"),
        "children_under_6": _("Children under 6"),
        "left_behind_children": _("Left-behind children"),
        "members": _("Members"),
        "open_record": _("Open record"),
        "status": _("Status"),
        "capacity": _("Capacity"),
        "opened_on": _("Opened"),
        "load_error": _("The map data could not be loaded. Reload the page to try again."),
        "loading": _("Loading households…"),
        "capped": _("Only part of the households is shown; zoom in to see them all."),
        "within": _("Within the distance"),
        "beyond": _("Beyond the distance"),
        "no_facility": _("No such facility"),
        "candidate": _("Candidate site"),
        "km": _("km"),
        "legend": _("Legend"),
        # map-layers.js: the layers other features add.
        "total": _("In all:"),
        "show": _("Show"),
        "loading_layer": _("Loading…"),
    }


def _project_prefix(project: Project) -> str:
    return url_for("projects.home", slug=project.slug)


@bp.route("/projects/<slug>/map")
@require(Cap.SEE_VILLAGE_TOTALS)
def map_page(project: Project):
    points = membership_can(g.membership, Cap.SEE_HOUSEHOLD_POINTS)
    details = membership_can(g.membership, Cap.SEE_HOUSEHOLD_DETAILS)
    prefix = _project_prefix(project)
    config = {
        "householdsUrl": f"/api/v1/projects/{project.slug}/households.geojson" if points else None,
        # What map.js draws: the same points, compact (docs/api.md), from the map data cache.
        "pointsUrl": f"/api/v1/projects/{project.slug}/households.points.json" if points else None,
        "facilitiesUrl": f"/api/v1/projects/{project.slug}/facilities.geojson",
        "villagesUrl": f"/api/v1/projects/{project.slug}/villages.geojson",
        "householdUrl": f"{prefix}households/{{id}}" if details else None,
        "facilityUrl": f"{prefix}facilities/{{id}}",
        "kinds": FacilityKind.labels(),
        "statuses": FacilityStatus.labels(),
        "text": _map_texts(),
        "offline": _offline_config(project, facilities=True),
        # Layers other features add (cbpar/mapping/layers.py), drawn by map-layers.js.
        "layers": layers.layers_for(project, g.membership),
    }
    return render_template(
        "mapping/map.html",
        project=project,
        parts=_map_parts(project),
        config=config,
        points=points,
    )


# --- the analysis page -------------------------------------------------------------------------


def _accessibility(project: Project, params: analysis.Params) -> dict:
    """The figures as the current member may see them (small numbers suppressed for some)."""
    result = analysis.accessibility(project.id, params)
    return privacy.shape_accessibility(result, privacy.audience_of(g.membership))


def _analysis_context(project: Project, params: analysis.Params | None, errors: dict[str, str]):
    result = _accessibility(project, params) if params else None
    compare = None
    compare_error = None
    raw_compare = (request.args.get("compare") or "").strip()
    if params and raw_compare:
        then, then_errors = analysis.parse_params(
            {
                "kind": params.kind.value,
                "within_km": str(params.within_km),
                "as_of": raw_compare,
            },
            params.as_of,
        )
        if then is None:
            compare_error = then_errors.get("as_of")
        else:
            compare = _accessibility(project, then)
    saved = analyses.saved_analyses(project)
    values = {
        "kind": request.args.get("kind", FacilityKind.KINDERGARTEN.value),
        "within_km": request.args.get("within_km", "5"),
        "as_of": request.args.get("as_of", ""),
        "compare": raw_compare,
        "candidates": (request.args.getlist("candidate") + ["", "", ""])[: analysis.MAX_CANDIDATES],
    }
    if params:
        values["as_of"] = params.as_of.isoformat()
    points = membership_can(g.membership, Cap.SEE_HOUSEHOLD_POINTS)
    config = {
        "pointsUrl": url_for("api.accessibility_points", slug=project.slug, **params.query_args())
        if params
        else None,
        "withHouseholds": points,
        "withinKm": params.within_km if params else None,
        "kind": params.kind.value if params else None,
        "candidates": params.candidates if params else [],
        "text": _map_texts(),
        "offline": _offline_config(project, facilities=False),
    }
    return {
        "project": project,
        "params": params,
        "errors": errors,
        "values": values,
        "result": result,
        "compare": compare,
        "compare_error": compare_error,
        "saved": saved,
        "kinds": FacilityKind,
        "parts": _map_parts(project),
        "config": config,
        "name_error": None,
        "name_value": "",
        "min_km": max(privacy.min_whatif_radius_m(privacy.audience_of(g.membership)) / 1000, 0.1),
    }


@bp.route("/projects/<slug>/analysis")
@require(Cap.SEE_VILLAGE_TOTALS)
def analysis_page(project: Project):
    params, errors = analysis.parse_params(
        request.args, analysis.project_today(project), require=False
    )
    status = 422 if errors else 200
    refused = params and privacy.radius_error(params.within_km, privacy.audience_of(g.membership))
    if refused:  # a what-if circle under 1 km can hold one house: not for roles without access
        params, errors, status = None, {"within_km": refused}, 400
    context = _analysis_context(project, params, errors)
    return no_store(render_template("mapping/analysis.html", **context), status)


@bp.route("/projects/<slug>/analysis", methods=["POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def save_analysis(project: Project):
    params, errors = analysis.parse_params(request.form, analysis.project_today(project))
    name = (request.form.get("name") or "").strip()
    name_error = None
    if not name:
        name_error = _("Give the analysis a name.")
    elif len(name) > MAX_NAME_LENGTH:
        name_error = _("At most %(n)d characters.", n=MAX_NAME_LENGTH)
    if params is None or name_error:
        context = _analysis_context(project, params, errors)
        context.update(name_error=name_error, name_value=name)
        if params is None:
            context["values"].update(
                kind=request.form.get("kind", ""),
                within_km=request.form.get("within_km", ""),
                as_of=request.form.get("as_of", ""),
            )
        return no_store(render_template("mapping/analysis.html", **context), 422)
    saved = analyses.save_analysis(project, params, name, current_user)
    flash(_("Analysis saved."), "success")
    return redirect(url_for("mapping.saved_analysis", slug=project.slug, analysis_id=saved.id))


@bp.route("/projects/<slug>/analysis/<int:analysis_id>")
@require(Cap.SEE_VILLAGE_TOTALS)
def saved_analysis(project: Project, analysis_id: int):
    saved = analyses.get_saved_analysis(project, analysis_id) or abort(404)
    params = analysis.Params(
        saved.kind, saved.within_km, saved.as_of, [tuple(c) for c in saved.candidates or []]
    )
    return render_template(
        "mapping/saved_analysis.html",
        project=project,
        saved=saved,
        result=privacy.shape_accessibility(saved.result, privacy.audience_of(g.membership)),
        rerun_args=params.query_args(),
        kinds=FacilityKind,
    )


@bp.route("/projects/<slug>/analysis/nearest.csv")
@writes
@require(Cap.SEE_HOUSEHOLD_DETAILS)
def nearest_csv(project: Project):
    params, errors = analysis.parse_params(request.args, analysis.project_today(project))
    if params is None:
        name, message = next(iter(errors.items()))
        return Response(f"{name}: {message}\n", status=400, mimetype="text/plain")
    rows = analysis.nearest_rows(project.id, params)
    header = [
        "code",
        "village",
        "lat",
        "lon",
        "nearest_facility",
        "distance_km",
        f"beyond_{params.within_km:g}_km",
    ]
    audit.record_export(project, f"nearest_{params.kind.value}", "csv", len(rows))
    filename = f"{project.slug}-nearest-{params.kind.value}-{params.as_of.isoformat()}.csv"
    return csvout.response(exports.to_csv(header, rows), filename)
