"""Household and facility records: queries, changes with their audit trail, role-aware output."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, String, false, func, insert, or_, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError

from cbpar import audit, csvout, privacy, search
from cbpar.db import db
from cbpar.editing import EditConflict, apply_changes, check_version, flush_or_conflict
from cbpar.mapping.forms import FACILITY_FIELDS, HOUSEHOLD_FIELDS
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household, MigrantParents
from cbpar.projects.models import Project, Village

# Household properties only roles with SEE_HOUSEHOLD_DETAILS may see, in pages, JSON and CSV.
SENSITIVE_FIELDS = (
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
    "source_id",
    "field_ref",
)
COORDINATE_DECIMALS = 5  # about 1 m: enough for a map, and keeps responses small

HOUSEHOLD_SORTS = {
    "code": (Village.code, Household.number),
    "village": (Village.name, Household.number),
    "updated": (Household.updated_at.desc(), Household.id.desc()),
}
FACILITY_SORTS = {
    "name": (Facility.name, Facility.id),
    "kind": (Facility.kind, Facility.name),
    "status": (Facility.status, Facility.name),
    "updated": (Facility.updated_at.desc(), Facility.id.desc()),
}


# --- villages --------------------------------------------------------------------------------


def villages(project: Project) -> list[Village]:
    return list(
        db.session.scalars(
            select(Village).where(Village.project_id == project.id).order_by(Village.name)
        )
    )


def village_totals(
    project: Project, audience: privacy.Audience | None = None
) -> list[dict[str, Any]]:
    """Per-village aggregates (what observers may see), one row per village, in name order.

    Small numbers are suppressed for `audience` (by default the current member's).
    """
    sums = (
        select(
            Household.village_id,
            func.count(Household.id).label("households"),
            func.coalesce(func.sum(Household.members), 0).label("members"),
            func.coalesce(func.sum(Household.children_under_6), 0).label("children_under_6"),
            func.coalesce(func.sum(Household.children_6_17), 0).label("children_6_17"),
            func.coalesce(func.sum(Household.left_behind_children), 0).label(
                "left_behind_children"
            ),
        )
        .where(Household.project_id == project.id)
        .group_by(Household.village_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Village, sums)
        .outerjoin(sums, sums.c.village_id == Village.id)
        .where(Village.project_id == project.id)
        .order_by(Village.name)
    )
    result = []
    for row in rows:
        village = row[0]
        result.append(
            {
                "village": village,
                "households": row.households or 0,
                "members": row.members or 0,
                "children_under_6": row.children_under_6 or 0,
                "children_6_17": row.children_6_17 or 0,
                "left_behind_children": row.left_behind_children or 0,
            }
        )
    return privacy.suppress_rows(
        result,
        ("households", "members", "children_under_6", "children_6_17", "left_behind_children"),
        audience or privacy.current_audience(),
        key="village",
    )


# --- households: queries ---------------------------------------------------------------------


def households_query(
    project: Project,
    *,
    village_id: int | None = None,
    migrant_parents: str | None = None,
    sort: str = "code",
) -> Select[Any]:
    """Households for a list page: the village is loaded in the same query (no query per row)."""
    query = (
        select(Household)
        .join(Village, Village.id == Household.village_id)
        .options(contains_eager(Household.village))
        .where(Household.project_id == project.id)
    )
    if village_id is not None:
        query = query.where(Household.village_id == village_id)
    if migrant_parents in MigrantParents.__members__.values():
        query = query.where(Household.migrant_parents == MigrantParents(migrant_parents))
    return query.order_by(*HOUSEHOLD_SORTS.get(sort, HOUSEHOLD_SORTS["code"]))


def get_household(project: Project, household_id: int) -> Household | None:
    return db.session.scalar(households_query(project).where(Household.id == household_id))


def field_ref_taken(
    project: Project, village_id: int | None, field_ref: str, exclude: Household | None
) -> bool:
    """Does another household of the village carry the field team's number `field_ref`?"""
    query = select(Household.id).where(
        Household.project_id == project.id,
        Household.village_id == village_id,
        func.lower(Household.field_ref) == field_ref.strip().lower(),
    )
    if exclude is not None:
        query = query.where(Household.id != exclude.id)
    return db.session.scalar(query.limit(1)) is not None


def search_households(project: Any, membership: Any, terms: list[str], limit: int) -> list[Any]:
    """Households by our code or the field team's number (field roles only: both identify)."""
    from flask import url_for

    if not privacy.household_shape(privacy.audience_of(membership)).field_refs:
        return []
    query = (
        households_query(project)
        .where(search.matches([Household.code, Household.field_ref], terms))
        .limit(limit)
    )
    return [
        search.Hit(
            type="household",
            id=household.id,
            title=household.code,
            url=url_for("mapping.household", slug=project.slug, household_id=household.id),
            snippet=search.snippet(
                " · ".join(filter(None, [household.code, household.field_ref])), terms
            ),
            when=household.updated_at,
        )
        for household in db.session.scalars(query)
    ]


search.register("household", search_households)


def _village_in(project: Project, village_id: int | None) -> Village | None:
    if village_id is None:
        return None
    return db.session.scalar(
        select(Village).where(Village.id == village_id, Village.project_id == project.id)
    )


# --- households: changes ---------------------------------------------------------------------


def _next_number(village_id: int) -> int:
    current = db.session.scalar(
        select(func.max(Household.number)).where(Household.village_id == village_id)
    )
    return (current or 0) + 1


def household_code(village: Village, number: int) -> str:
    return f"{village.code}-{number:03d}"


def _assign_code(household: Household, village: Village) -> None:
    """Give the household the next free number in its village, retrying on a concurrent taker."""
    for attempt in range(5):
        with db.session.no_autoflush:  # the household itself has no number yet
            number = _next_number(village.id)
        household.number, household.code = number, household_code(village, number)
        try:
            with db.session.begin_nested():
                db.session.flush()
            return
        except IntegrityError:
            if attempt == 4:
                raise


def create_household(project: Project, data: dict[str, Any]) -> Household:
    village = _village_in(project, data["village_id"])
    if village is None:
        raise ValueError("village not in project")
    household = Household(project_id=project.id, village=village)
    for field in HOUSEHOLD_FIELDS:
        setattr(household, field, data[field])
    db.session.add(household)
    _assign_code(household, village)
    filled = [f for f in HOUSEHOLD_FIELDS if data.get(f) not in (None, "")]
    audit.record("household_created", household, project=project, details={"fields": filled})
    return household


def update_household(household: Household, data: dict[str, Any], version: int) -> list[str]:
    """Save the form's values if the household is still at `version`; names the changed fields."""
    check_version(household, version)
    moved_to = None
    if data["village_id"] != household.village_id:
        # Look the village up before changing anything: a query would flush the half-moved row.
        moved_to = _village_in(household.project, data["village_id"])
        if moved_to is None:
            raise ValueError("village not in project")
    changed = apply_changes(household, data, HOUSEHOLD_FIELDS)
    if moved_to is not None:
        household.village = moved_to
        try:
            _assign_code(household, moved_to)
        except StaleDataError as exc:
            raise EditConflict from exc
        changed.append("code")
    if changed:
        flush_or_conflict()
        audit.record(
            "household_updated",
            household,
            project=household.project_id,
            details={"fields": changed},
        )
    return changed


def delete_household(household: Household) -> None:
    audit.record(
        "household_deleted",
        household,
        project=household.project_id,
        details={"code": household.code},
    )
    db.session.delete(household)
    db.session.flush()


# --- facilities ------------------------------------------------------------------------------


def facilities_query(
    project: Project,
    *,
    village_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    sort: str = "name",
) -> Select[Any]:
    query = (
        select(Facility)
        .outerjoin(Village, Village.id == Facility.village_id)
        .options(contains_eager(Facility.village))
        .where(Facility.project_id == project.id)
    )
    if village_id is not None:
        query = query.where(Facility.village_id == village_id)
    if kind in FacilityKind.__members__.values():
        query = query.where(Facility.kind == FacilityKind(kind))
    if status in FacilityStatus.__members__.values():
        query = query.where(Facility.status == FacilityStatus(status))
    return query.order_by(*FACILITY_SORTS.get(sort, FACILITY_SORTS["name"]))


def get_facility(project: Project, facility_id: int) -> Facility | None:
    return db.session.scalar(facilities_query(project).where(Facility.id == facility_id))


def _check_facility_village(project: Project, data: dict[str, Any]) -> None:
    if data.get("village_id") is not None and _village_in(project, data["village_id"]) is None:
        raise ValueError("village not in project")


def create_facility(project: Project, data: dict[str, Any]) -> Facility:
    _check_facility_village(project, data)
    facility = Facility(project_id=project.id, **{f: data[f] for f in FACILITY_FIELDS})
    db.session.add(facility)
    db.session.flush()
    filled = [f for f in FACILITY_FIELDS if data.get(f) not in (None, "")]
    audit.record("facility_created", facility, project=project, details={"fields": filled})
    return facility


def update_facility(facility: Facility, data: dict[str, Any], version: int) -> list[str]:
    check_version(facility, version)
    _check_facility_village(facility.project, data)
    changed = apply_changes(facility, data, FACILITY_FIELDS)
    if changed:
        flush_or_conflict()
        audit.record(
            "facility_updated", facility, project=facility.project_id, details={"fields": changed}
        )
    return changed


def delete_facility(facility: Facility) -> None:
    audit.record(
        "facility_deleted", facility, project=facility.project_id, details={"name": facility.name}
    )
    db.session.delete(facility)
    db.session.flush()


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


def households_csv(project: Project) -> tuple[str, int]:
    """Every household with every field (for roles that may see details), and the row count."""
    columns = [getattr(Household, c) for c in HOUSEHOLD_CSV_COLUMNS if c != "village"]
    columns.insert(HOUSEHOLD_CSV_COLUMNS.index("village"), Village.name)
    rows = db.session.execute(
        select(*columns)
        .join(Village, Village.id == Household.village_id)
        .where(Household.project_id == project.id)
        .order_by(Village.code, Household.number)
    ).all()
    return to_csv(HOUSEHOLD_CSV_COLUMNS, rows), len(rows)


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


# --- bulk loading (demo, benchmarks) -----------------------------------------------------------


def existing_codes(project: Project) -> set[str]:
    return set(db.session.scalars(select(Household.code).where(Household.project_id == project.id)))


def facility_names(project: Project) -> set[str]:
    return set(db.session.scalars(select(Facility.name).where(Facility.project_id == project.id)))


def bulk_insert(model: type[Household] | type[Facility], rows: list[dict[str, Any]]) -> int:
    """Insert many rows in chunks with one executemany each: no ORM object per row."""
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[start : start + 5000])
    return len(rows)
