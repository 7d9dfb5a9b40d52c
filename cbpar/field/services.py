"""What the field app keeps on a phone, and the files its service worker caches.

`offline_data(project, membership)` is the one list the app stores for working offline:
villages and facilities for everyone, households and children only as `privacy.device_cache`
allows the member's role. `precache_files()` names the static files of the app shell; the
service worker gets their fingerprinted URLs, so a changed file is fetched again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from cbpar import privacy
from cbpar.care import programmes
from cbpar.care import services as care
from cbpar.db import db, utcnow
from cbpar.mapping import mapdata
from cbpar.mapping import services as mapping
from cbpar.mapping.models import Household
from cbpar.meetings.services import project_today

COORDINATES = privacy.FIELD_COORDINATE_DECIMALS

# The app shell: what the field home needs besides its own page and data (static/...).
PRECACHE_FILES = (
    "css/app.css",
    "css/field.css",
    "img/favicon.svg",
    "img/field-192.png",
    "img/field-512.png",
    "vendor/idb/idb.umd.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "js/field/logout-guard.js",
    "js/field/outbox.js",
    "js/field/locate.js",
    "js/field/field-map.js",
    "js/field/recorder.js",
    "js/field/app.js",
)


def _point(lat: float | None, lon: float | None) -> list[float] | None:
    if lat is None or lon is None:
        return None
    return [round(lat, COORDINATES), round(lon, COORDINATES)]


def offline_data(project: Any, membership: Any) -> dict[str, Any]:
    """The lists the field app needs offline, as this member's role may see them."""
    allowed = privacy.device_cache(membership)
    data: dict[str, Any] = {
        "project": project.slug,
        "generated_at": utcnow().isoformat(),
        "villages": [
            {
                "id": village.id,
                "name": village.name,
                "code": village.code,
                "point": _point(village.center_lat, village.center_lon),
            }
            for village in mapping.villages(project)
        ],
        "facilities": [
            {
                "id": facility.id,
                "name": facility.name,
                "kind": facility.kind.value,
                "point": _point(facility.lat, facility.lon),
            }
            for facility in db.session.scalars(mapping.facilities_query(project))
        ],
        "households": [],
        "children": [],
        "programmes": [],
    }
    if allowed.households:
        data["households"] = _households(project, membership)
    if allowed.children:
        children = [child for child in care.all_children(project) if not child.withdrawn]
        data["children"] = [
            {"id": child.id, "code": child.code, "household_code": child.household.code}
            for child in children
        ]
        enrolled = programmes.enrolled_on(project, project_today(project))
        data["programmes"] = [
            {"id": programme.id, "name": programme.name, "enrolled": enrolled.get(programme.id, [])}
            for programme in db.session.scalars(programmes.programmes_query(project))
        ]
    return data


def _households(project: Any, membership: Any) -> list[dict[str, Any]]:
    """The project's households (id, code, village, point), built once per map data version in
    this process, like the map's own data (cbpar/mapping/mapdata.py): at a county's 50,000
    households a phone's refresh costs a JSON decode, not a query of every row."""

    def build() -> Iterator[str]:
        rows = db.session.execute(
            select(Household.id, Household.code, Household.village_id, Household.lat, Household.lon)
            .where(Household.project_id == project.id)
            .order_by(Household.code)
        )
        yield json.dumps(
            [
                {"id": i, "code": code, "village_id": village, "point": _point(lat, lon)}
                for i, code, village, lat, lon in rows
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )

    audience = privacy.audience_of(membership)
    found = mapdata.lookup(project.id, "field.households", audience, (), build)
    return json.loads(found.load().plain())


def precache_files() -> tuple[str, ...]:
    return PRECACHE_FILES
