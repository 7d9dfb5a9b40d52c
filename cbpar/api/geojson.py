"""GeoJSON endpoints for households, facilities and villages."""

from __future__ import annotations

import math

from flask import current_app, g, request

from cbpar import privacy
from cbpar.access import require
from cbpar.api import bp, cached
from cbpar.api.responses import error, json_response
from cbpar.mapping import exports, mapdata
from cbpar.projects.models import Project
from cbpar.security import Cap

GEOJSON = "application/geo+json"
DEFAULT_BBOX_CAP = 5000


class BadParameter(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """`minLon,minLat,maxLon,maxLat` in degrees; minLon > maxLon means it crosses 180°."""
    if raw is None:
        return None
    message = "bbox must be minLon,minLat,maxLon,maxLat in decimal degrees."
    parts = raw.split(",")
    if len(parts) != 4:
        raise BadParameter("bbox", message)
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise BadParameter("bbox", message) from None
    values = (min_lon, min_lat, max_lon, max_lat)
    if not all(math.isfinite(v) for v in values):
        raise BadParameter("bbox", message)
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise BadParameter("bbox", "bbox longitudes must be between -180 and 180.")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise BadParameter("bbox", "bbox latitudes must be between -90 and 90.")
    if min_lat > max_lat:
        raise BadParameter("bbox", "bbox minLat must not be greater than maxLat.")
    return values


def _collection(features: list, **extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": features}


@bp.route("/projects/<slug>/households.geojson")
@require(Cap.SEE_HOUSEHOLD_POINTS)
def households_geojson(project: Project):
    """Household points shaped by `privacy.household_shape`: ids, codes, counts and family
    situation for roles that see details; committee members the village and a point rounded
    to 4 decimals."""
    try:
        bbox = parse_bbox(request.args.get("bbox"))
    except BadParameter as exc:
        return error(exc.parameter, str(exc))
    audience = privacy.audience_of(g.membership)
    if bbox is None:  # the whole project: built once per change of its map data
        found = mapdata.lookup(
            project.id,
            "households.geojson",
            audience,
            (),
            lambda: mapdata.households_geojson(project, audience),
        )
        return cached.respond(found, request, GEOJSON)
    details = audience is privacy.Audience.FIELD
    cap = int(current_app.config.get("MAP_BBOX_CAP", DEFAULT_BBOX_CAP))
    meta: dict = {"details": details, "bbox": list(bbox), "limit": cap}
    body, _count, _truncated = exports.households_geojson(
        project, audience=audience, bbox=bbox, limit=cap, meta=meta
    )
    return json_response(body, request, mimetype=GEOJSON)


@bp.route("/projects/<slug>/households.points.json")
@require(Cap.SEE_HOUSEHOLD_POINTS)
def households_points(project: Project):
    """The map page's compact household points: columns of delta-coded integers (docs/api.md),
    shaped like households.geojson for the member's audience."""
    audience = privacy.audience_of(g.membership)
    found = mapdata.lookup(
        project.id,
        "households.points",
        audience,
        (),
        lambda: mapdata.households_points(project, audience),
    )
    return cached.respond(found, request, "application/json")


@bp.route("/projects/<slug>/facilities.geojson")
@require(Cap.VIEW_PROJECT)
def facilities_geojson(project: Project):
    audience = privacy.audience_of(g.membership)
    found = mapdata.lookup(
        project.id,
        "facilities.geojson",
        audience,
        (),
        lambda: [mapdata.dumps(_collection(exports.facility_features(project)))],
    )
    return cached.respond(found, request, GEOJSON)


@bp.route("/projects/<slug>/villages.geojson")
@require(Cap.SEE_VILLAGE_TOTALS)
def villages_geojson(project: Project):
    """Village centres with per-village totals: the aggregate view every member may see."""
    audience = privacy.audience_of(g.membership)
    found = mapdata.lookup(
        project.id,
        "villages.geojson",
        audience,
        (),
        lambda: [mapdata.dumps(_collection(exports.village_features(project, audience)))],
    )
    return cached.respond(found, request, GEOJSON)
