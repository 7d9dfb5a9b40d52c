"""The OpenAPI document: geoJSON layers and distance analyses."""

from __future__ import annotations

from typing import Any

from cbpar.api.spec.common import (
    BOOL,
    COUNT_OR_SMALL,
    DATE,
    INT,
    NUM,
    SLUG,
    STR,
    Schema,
    arr,
    enum,
    null,
    obj,
    op,
    query,
    ref,
)

FEATURE_COLLECTION: Schema = obj(
    {"type": enum("FeatureCollection"), "features": arr(obj({"type": enum("Feature")}))}
)

ACCESS_PARAMS = [
    query("kind", "The kind of facility, e.g. kindergarten."),
    query("within_km", "The distance in km.", NUM),
    query("as_of", "Count facilities open on this date.", DATE),
    query("candidates", "What-if sites: lat,lon;lat,lon"),
]

SCHEMAS: dict[str, Schema] = {
    "FeatureCollection": FEATURE_COLLECTION,
    "Accessibility": obj(
        {
            "kind": STR,
            "within_km": {"type": ["number", "string"]},
            "as_of": DATE,
            "households": COUNT_OR_SMALL,
            "by_village": arr({"type": "object"}),
            "histogram": arr({"type": "object"}),
            "candidates": arr({"type": "object"}),
        },
        {"small_numbers_suppressed": BOOL},
    ),
    # The map page's compact household points (docs/api.md, "Compact household points").
    "HouseholdPoints": obj(
        {
            "format": enum("cbpar-points"),
            "format_version": INT,
            "details": BOOL,
            "scale": INT,
            "villages": arr(obj({"name": STR})),
            "count": INT,
            "village": arr(INT),
            "lat": arr(INT),
            "lon": arr(INT),
        },
        {"style": arr(INT)},
    ),
    "AccessibilityPoints": obj(
        {
            "within_km": NUM,
            "facilities": arr(obj({"id": INT, "name": STR, "lat": NUM, "lon": NUM})),
            "households": null(arr(arr({"type": ["number", "null"]}))),
        }
    ),
}


def paths() -> dict[str, Any]:
    project = [SLUG]
    return {
        "/projects/{slug}/households.geojson": {
            "parameters": project,
            "get": op(
                "Map",
                "Household points, as the caller's role may see them",
                ref("FeatureCollection"),
                media="application/geo+json",
                params=[query("bbox", "minLon,minLat,maxLon,maxLat in degrees.")],
                etag=True,
            ),
        },
        "/projects/{slug}/households.points.json": {
            "parameters": project,
            "get": op(
                "Map",
                "Household points for the map page, compact (columns of delta-coded integers)",
                ref("HouseholdPoints"),
                etag=True,
            ),
        },
        "/projects/{slug}/facilities.geojson": {
            "parameters": project,
            "get": op(
                "Map",
                "Facilities",
                ref("FeatureCollection"),
                media="application/geo+json",
                etag=True,
            ),
        },
        "/projects/{slug}/villages.geojson": {
            "parameters": project,
            "get": op(
                "Map",
                "Village centres with totals",
                ref("FeatureCollection"),
                media="application/geo+json",
                etag=True,
            ),
        },
        "/projects/{slug}/accessibility": {
            "parameters": project,
            "get": op(
                "Map",
                "How many live beyond a distance from a kind of facility",
                ref("Accessibility"),
                params=ACCESS_PARAMS,
                etag=True,
            ),
        },
        "/projects/{slug}/accessibility/points": {
            "parameters": project,
            "get": op(
                "Map",
                "Counted facilities and each household's distance",
                ref("AccessibilityPoints"),
                params=ACCESS_PARAMS,
                etag=True,
            ),
        },
    }
