"""Household, facility and village records as GeoJSON and CSV, shaped for the audience (as
`cbpar.privacy` decides): for the map, the API and field exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, String, false, or_, select, type_coerce

from cbpar import csvout, privacy
from cbpar.db import db
from cbpar.mapping.models import Facility, Household
from cbpar.mapping.services import village_totals
from cbpar.projects.models import Project, Village

COORDINATE_DECIMALS = 5  # about 1 m: enough for a map, and keeps responses small


# --- GeoJSON ---------------------------------------------------------------------------------


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {
        "type": "Point",
        "coordinates": [round(lon, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)],
    }


def _household_query(
    project: Project, details: bool, bbox: tuple[float, float, float, float] | None
) -> Select[Any]:
    columns: list[Any] = [
        Household.id,
        Household.code,
        Household.village_id,
        Household.lon,
        Household.lat,
    ]
    if details:
        # Plain strings, not enum objects: converting 50,000 values costs more than the query.
        columns += [
            Household.members,
            Household.children_under_6,
            Household.children_6_17,
            Household.left_behind_children,
            type_coerce(Household.migrant_parents, String),
            type_coerce(Household.caregiver, String),
        ]
    if bbox is None:
        project_filter = Household.project_id == project.id
        if db.engine.dialect.name == "sqlite":
            # Without statistics SQLite walks the (project_id, lat, lon) index and fetches each
            # row from it, three times slower than a scan when the project holds most rows.
            project_filter = Household.project_id + 0 == project.id
        query = select(*columns).where(project_filter)
    else:
        min_lon, min_lat, max_lon, max_lat = bbox
        query = select(*columns).where(
            Household.project_id == project.id, Household.lat.between(min_lat, max_lat)
        )
        if min_lon <= max_lon:
            query = query.where(Household.lon.between(min_lon, max_lon))
        else:  # the box crosses the antimeridian
            query = query.where(or_(Household.lon >= min_lon, Household.lon <= max_lon))
    return query.order_by(Household.id)


_PLAIN = re.compile(r"^[A-Za-z0-9 ._-]*$")


def _json_str(value: str, cache: dict[str, str]) -> str:
    if value in cache:
        return cache[value]
    text = f'"{value}"' if _PLAIN.match(value) else json.dumps(value, ensure_ascii=False)
    if len(cache) < 64:  # enum values and village names repeat; codes do not
        cache[value] = text
    return text


# What the GeoJSON export adds to the map's properties, so it carries every CSV field.
HOUSEHOLD_EXPORT_EXTRAS = (
    "field_ref",
    "visited_on",
    "consent_on",
    "consent_given_by",
    "notes",
    "updated_at",
)


def _json_int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _json_value(value: Any) -> str:
    if value is None:
        return "null"
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def households_geojson(
    project: Project,
    *,
    audience: privacy.Audience,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int | None = None,
    meta: dict[str, Any] | None = None,
    full: bool = False,
) -> tuple[bytes, int, bool]:
    """Household points as a GeoJSON FeatureCollection, already serialised (compact JSON).

    Returns the body, the number of features and whether `limit` cut the list short. Built
    from plain columns and string formatting rather than ORM objects and nested dicts, so
    50,000 households take a fraction of a second. What each feature carries (id, code,
    details, coordinate precision) is `privacy.household_shape(audience)`: committee members
    get the village and a rounded point only; an audience without points gets no features.
    `full` (the export) adds, where the shape has details, every field the CSV export has.
    An unknown count is `null`.
    """
    shape = privacy.household_shape(audience)
    details, places = shape.details, shape.decimals
    village_names = db.session.execute(
        select(Village.id, Village.name).where(Village.project_id == project.id)
    )
    strings: dict[str, str] = {}
    villages_js = {vid: _json_str(name, strings) for vid, name in village_names}
    extra = HOUSEHOLD_EXPORT_EXTRAS if details and full else ()
    query = _household_query(project, details, bbox)
    if extra:
        query = query.add_columns(*[getattr(Household, name) for name in extra])
    if not shape.points:
        query = query.where(false())
    if limit is not None:
        query = query.limit(limit + 1)
    rows = db.session.connection().execute(query)
    parts: list[str] = []
    append = parts.append
    truncated = False
    for row in rows:
        if limit is not None and len(parts) == limit:
            truncated = True  # the query asked for one row more than the limit: it exists
            break
        hid, code, village_id, lon, lat = row[:5]
        head = (
            '{"type":"Feature",'
            + (f'"id":{hid},' if shape.ids else "")
            + '"geometry":{"type":"Point","coordinates":['
            + f"{round(lon, places)!r},{round(lat, places)!r}]}},"
            + '"properties":{'
            + (f'"code":{_json_str(code, {})},' if shape.codes else "")
            + f'"village":{villages_js[village_id]}'
        )
        if details:
            members, under_6, older, left_behind, migrant, caregiver = row[5:11]
            more = "".join(
                f',"{name}":{_json_value(value)}'
                for name, value in zip(extra, row[11:], strict=True)
                if name != "field_ref" or shape.field_refs
            )
            append(
                f'{head},"members":{_json_int(members)},"children_under_6":{_json_int(under_6)},'
                f'"children_6_17":{_json_int(older)},'
                f'"left_behind_children":{_json_int(left_behind)},'
                f'"migrant_parents":{_json_str(migrant, strings)},'
                f'"caregiver":{_json_str(caregiver, strings)}{more}}}}}'
            )
        else:
            append(head + "}}")
    rows.close()
    header = {"type": "FeatureCollection", **(meta or {})}
    if limit is not None:
        header["truncated"] = truncated
    opening = json.dumps(header, separators=(",", ":"), ensure_ascii=False)[:-1]
    body = f'{opening},"features":[{",".join(parts)}]}}'
    return body.encode(), len(parts), truncated


def facility_features(project: Project) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(
            Facility.id,
            Facility.name,
            Facility.kind,
            Facility.status,
            Facility.capacity,
            Facility.opened_on,
            Village.name,
            Facility.lon,
            Facility.lat,
        )
        .outerjoin(Village, Village.id == Facility.village_id)
        .where(Facility.project_id == project.id)
        .order_by(Facility.id)
    )
    return [
        {
            "type": "Feature",
            "id": fid,
            "geometry": _point(lon, lat),
            "properties": {
                "name": name,
                "kind": str(kind),
                "status": str(status),
                "capacity": capacity,
                "opened_on": opened.isoformat() if opened else None,
                "village": village,
            },
        }
        for fid, name, kind, status, capacity, opened, village, lon, lat in rows
    ]


def village_features(
    project: Project, audience: privacy.Audience | None = None
) -> list[dict[str, Any]]:
    features = []
    for row in village_totals(project, audience):
        village = row["village"]
        has_centre = village.center_lat is not None and village.center_lon is not None
        features.append(
            {
                "type": "Feature",
                "id": village.id,
                "geometry": _point(village.center_lon, village.center_lat) if has_centre else None,
                "properties": {
                    "name": village.name,
                    "code": village.code,
                    "households": row["households"],
                    "children_under_6": row["children_under_6"],
                    "left_behind_children": row["left_behind_children"],
                },
            }
        )
    return features


# --- CSV -------------------------------------------------------------------------------------

HOUSEHOLD_CSV_COLUMNS = (
    "code",
    "village",
    "lat",
    "lon",
    "members",
    "children_under_6",
    "children_6_17",
    "left_behind_children",
    "migrant_parents",
    "caregiver",
    "visited_on",
    "consent_on",
    "consent_given_by",
    "notes",
    "updated_at",
    "field_ref",
)
FACILITY_CSV_COLUMNS = (
    "name",
    "kind",
    "status",
    "village",
    "lat",
    "lon",
    "capacity",
    "opened_on",
    "notes",
    "updated_at",
)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with coordinates at COORDINATE_DECIMALS, escaped by the one CSV helper."""
    return csvout.to_csv(header, rows, float_decimals=COORDINATE_DECIMALS)


def _household_rows(project: Project) -> list[Any]:
    """Every household with every field (for roles that may see details), in CSV order."""
    columns = [getattr(Household, c) for c in HOUSEHOLD_CSV_COLUMNS if c != "village"]
    columns.insert(HOUSEHOLD_CSV_COLUMNS.index("village"), Village.name)
    return db.session.execute(
        select(*columns)
        .join(Village, Village.id == Household.village_id)
        .where(Household.project_id == project.id)
        .order_by(Village.code, Household.number)
    ).all()


def households_csv(project: Project) -> tuple[str, int]:
    """Every household with every field (for roles that may see details), and the row count."""
    rows = _household_rows(project)
    return to_csv(HOUSEHOLD_CSV_COLUMNS, rows), len(rows)


def households_xlsx(project: Project) -> tuple[bytes, int]:
    """The household CSV as an Excel workbook (the same columns and rows), and the row count."""
    rows = _household_rows(project)
    body = csvout.to_xlsx(
        HOUSEHOLD_CSV_COLUMNS, rows, sheet="households", float_decimals=COORDINATE_DECIMALS
    )
    return body, len(rows)


def facilities_csv(project: Project) -> tuple[str, int]:
    columns = [getattr(Facility, c) for c in FACILITY_CSV_COLUMNS if c != "village"]
    columns.insert(3, Village.name)
    rows = db.session.execute(
        select(*columns)
        .outerjoin(Village, Village.id == Facility.village_id)
        .where(Facility.project_id == project.id)
        .order_by(Facility.name, Facility.id)
    ).all()
    return to_csv(FACILITY_CSV_COLUMNS, rows), len(rows)
