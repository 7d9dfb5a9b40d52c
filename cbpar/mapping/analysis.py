"""Accessibility analysis: load a project's households and facilities, then measure with geo.py.

Rows are loaded as plain column tuples in one query per table (never one ORM object per row),
so 50,000 households cost one SELECT. The "as of" rule: only facilities of the chosen kind with
status `operating` and opened on or before the date count (no opening date counts as always
open), so the same figures can be shown for an earlier date ("then and now").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from cbpar import privacy
from cbpar.db import db
from cbpar.mapping import geo, mapdata
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household
from cbpar.projects.models import Project, Village

MAX_CANDIDATES = 3
MAX_WITHIN_KM = 1000.0


@dataclass
class Params:
    """What an accessibility question asks: which facilities, how far, when, and where to build."""

    kind: FacilityKind
    within_km: float
    as_of: date
    candidates: list[tuple[float, float]] = field(default_factory=list)

    def query_args(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "within_km": f"{self.within_km:g}",
            "as_of": self.as_of.isoformat(),
            "candidate": [f"{lat:.6f},{lon:.6f}" for lat, lon in self.candidates],
        }


def project_today(project: Project) -> date:
    try:
        zone = ZoneInfo(project.timezone or "Asia/Shanghai")
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return datetime.now(zone).date()


def parse_candidate(raw: str) -> tuple[float, float] | None:
    """'LAT,LON' in degrees, or None if it is not a valid point."""
    parts = raw.replace("，", ",").split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def parse_params(
    args: Mapping[str, Any], today: date, *, require: bool = True
) -> tuple[Params | None, dict[str, str]]:
    """Read kind, within_km, as_of and candidate (repeatable) from query arguments.

    Returns the parameters, or None and an error message per parameter name. With
    `require=False` a missing kind or distance takes the page's defaults (kindergarten, 5 km).
    """
    errors: dict[str, str] = {}
    raw_kind = (args.get("kind") or "").strip()
    kind = None
    if not raw_kind and not require:
        kind = FacilityKind.KINDERGARTEN
    elif not raw_kind:
        errors["kind"] = _("Choose a facility kind.")
    else:
        try:
            kind = FacilityKind(raw_kind)
        except ValueError:
            errors["kind"] = _("Unknown facility kind.")

    raw_km = (args.get("within_km") or "").strip()
    within_km = None
    if not raw_km and not require:
        within_km = 5.0
    elif not raw_km:
        errors["within_km"] = _("Give a distance in km.")
    else:
        try:
            within_km = float(raw_km)
        except ValueError:
            within_km = None
        if within_km is None or not math.isfinite(within_km):
            errors["within_km"] = _("Give a distance in km, e.g. 5 or 2.5.")
        elif not 0 < within_km <= MAX_WITHIN_KM:
            errors["within_km"] = _(
                "The distance must be more than 0 and at most %(max)d km.", max=int(MAX_WITHIN_KM)
            )

    raw_date = (args.get("as_of") or "").strip()
    as_of = today
    if raw_date:
        try:
            as_of = date.fromisoformat(raw_date)
        except ValueError:
            errors["as_of"] = _("Give a real date as YYYY-MM-DD.")

    getlist = getattr(args, "getlist", None)
    raw_candidates = getlist("candidate") if getlist else list(args.get("candidate") or [])
    raw_candidates = [c.strip() for c in raw_candidates if c and c.strip()]
    candidates: list[tuple[float, float]] = []
    if len(raw_candidates) > MAX_CANDIDATES:
        errors["candidate"] = _("At most %(n)d candidate sites.", n=MAX_CANDIDATES)
    else:
        for raw in raw_candidates:
            point = parse_candidate(raw)
            if point is None:
                errors["candidate"] = _(
                    "A candidate site is 'latitude,longitude' in degrees, e.g. 42.35,119.90."
                )
                break
            candidates.append(point)

    if errors or kind is None or within_km is None:
        return None, errors
    return Params(kind, within_km, as_of, candidates), {}


# --- loading -----------------------------------------------------------------------------------


@dataclass
class HouseholdColumns:
    """The households of a project as parallel arrays (codes only when asked for)."""

    village_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    children_under_6: np.ndarray
    left_behind_children: np.ndarray
    code: list[str]

    @property
    def count(self) -> int:
        return int(self.lat.shape[0])


def village_names(project_id: int) -> dict[int, str]:
    rows = db.session.execute(
        select(Village.id, Village.name).where(Village.project_id == project_id)
    ).all()
    return {vid: name for vid, name in rows}


def _fetch_tuples(query: Any) -> list[tuple[Any, ...]]:
    """All rows as the driver's plain tuples: SQLAlchemy Row objects cost ~10x more here."""
    result = db.session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def load_households(project_id: int, *, with_codes: bool = False) -> HouseholdColumns:
    """One SELECT of plain columns, turned into arrays: 50,000 rows in tens of ms."""
    columns: list[Any] = [
        Household.village_id,
        Household.lat,
        Household.lon,
        # An unknown count (None) adds nothing to a sum.
        func.coalesce(Household.children_under_6, 0),
        func.coalesce(Household.left_behind_children, 0),
    ]
    if with_codes:
        columns.append(Household.code)
    in_project = Household.project_id == project_id
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite would walk the (project_id, lat, lon) index and then look up every row; a
        # table scan reads the same rows 3x faster while a database holds few projects.
        in_project = Household.project_id + 0 == project_id
    rows = _fetch_tuples(select(*columns).where(in_project).order_by(Household.id))
    if not rows:
        empty = np.zeros(0)
        ints = np.zeros(0, dtype=np.int64)
        return HouseholdColumns(ints, empty, empty, ints, ints, [])
    numbers = np.array([row[:5] for row in rows] if with_codes else rows, dtype=float)
    return HouseholdColumns(
        village_id=numbers[:, 0].astype(np.int64),
        lat=numbers[:, 1],
        lon=numbers[:, 2],
        children_under_6=numbers[:, 3].astype(np.int64),
        left_behind_children=numbers[:, 4].astype(np.int64),
        code=[row[5] for row in rows] if with_codes else [],
    )


@dataclass
class FacilityRows:
    ids: list[int]
    names: list[str]
    lat: list[float]
    lon: list[float]


def load_facilities(project_id: int, kind: FacilityKind, as_of: date) -> FacilityRows:
    """Facilities that count on `as_of`: this kind, operating, opened by then (or undated)."""
    rows = db.session.execute(
        select(Facility.id, Facility.name, Facility.lat, Facility.lon)
        .where(
            Facility.project_id == project_id,
            Facility.kind == kind,
            Facility.status == FacilityStatus.OPERATING,
            or_(Facility.opened_on.is_(None), Facility.opened_on <= as_of),
        )
        .order_by(Facility.id)
    ).all()
    return FacilityRows(
        ids=[r[0] for r in rows],
        names=[r[1] for r in rows],
        lat=[r[2] for r in rows],
        lon=[r[3] for r in rows],
    )


# --- analyses ----------------------------------------------------------------------------------


def _counts_dict(counts: geo.Counts, suffix: str) -> dict[str, int]:
    return {
        f"households{suffix}": counts.households,
        f"children_under_6{suffix}": counts.children_under_6,
        f"left_behind_children{suffix}": counts.left_behind_children,
    }


def accessibility(project_id: int, params: Params) -> dict[str, Any]:
    """The accessibility answer, exactly as the API returns it and a saved analysis keeps it.

    Computed once per map data version and question in this process (cbpar/mapping/mapdata.py:
    the version moves with every change to households, facilities and villages), so the page
    and the API asking again cost a small query and a JSON decode. The answer is the unshaped
    one; each caller shapes it for its member's audience (privacy.shape_accessibility)."""
    key = (
        params.kind.value,
        f"{params.within_km:g}",
        params.as_of.isoformat(),
        *(f"{lat:.6f},{lon:.6f}" for lat, lon in params.candidates),
    )
    found = mapdata.lookup(
        project_id,
        "accessibility.answer",
        privacy.Audience.FIELD,
        key,
        lambda: [json.dumps(_accessibility(project_id, params), separators=(",", ":"))],
    )
    return json.loads(found.load().plain())


def _accessibility(project_id: int, params: Params) -> dict[str, Any]:
    households = load_households(project_id)
    facilities = load_facilities(project_id, params.kind, params.as_of)
    distances, _index = geo.nearest(households.lat, households.lon, facilities.lat, facilities.lon)
    far = geo.beyond(
        distances, params.within_km, households.children_under_6, households.left_behind_children
    )
    groups = geo.beyond_by_group(
        distances,
        params.within_km,
        households.village_id,
        households.children_under_6,
        households.left_behind_children,
    )
    names = village_names(project_id)
    by_village = sorted(
        (
            {
                "village": names.get(village_id, ""),
                "households": total.households,
                "children_under_6": total.children_under_6,
                "left_behind_children": total.left_behind_children,
                **_counts_dict(beyond_counts, "_beyond"),
            }
            for village_id, (total, beyond_counts) in groups.items()
        ),
        key=lambda row: row["village"],
    )
    candidates = geo.what_if(
        households.lat,
        households.lon,
        distances,
        params.candidates,
        params.within_km,
        households.children_under_6,
        households.left_behind_children,
    )
    return {
        "kind": params.kind.value,
        "within_km": params.within_km,
        "as_of": params.as_of.isoformat(),
        "method": geo.METHOD,
        "facilities_counted": len(facilities.ids),
        "households": households.count,
        "children_under_6": int(households.children_under_6.sum()),
        "left_behind_children": int(households.left_behind_children.sum()),
        **_counts_dict(far, "_beyond"),
        "by_village": by_village,
        "histogram": geo.histogram(distances),
        "candidates": [
            {"lat": lat, "lon": lon, **_counts_dict(counts, "_newly_within")}
            for (lat, lon), counts in zip(params.candidates, candidates, strict=True)
        ],
    }


def household_distances(
    project_id: int, params: Params, audience: privacy.Audience
) -> dict[str, Any]:
    """Each household's point and distance to the nearest counted facility (for colouring a map).

    Points only: no code, no counts, so roles that see points without details may have it,
    at the precision `privacy.household_shape(audience)` allows; others get no households.
    """
    shape = privacy.household_shape(audience)
    facilities = load_facilities(project_id, params.kind, params.as_of)
    answer: dict[str, Any] = {
        "within_km": params.within_km,
        "facilities": [
            {"id": i, "name": n, "lat": la, "lon": lo}
            for i, n, la, lo in zip(
                facilities.ids, facilities.names, facilities.lat, facilities.lon, strict=True
            )
        ],
        "households": None,
    }
    if not shape.points:
        return answer
    households = load_households(project_id)
    distances, _index = geo.nearest(households.lat, households.lon, facilities.lat, facilities.lon)
    field = audience is privacy.Audience.FIELD
    places, km_places = (6, 3) if field else (shape.decimals, 2)  # committee: about 10 m
    km = [None if not math.isfinite(d) else round(float(d), km_places) for d in distances]
    answer["households"] = [
        [round(float(la), places), round(float(lo), places), d]
        for la, lo, d in zip(households.lat, households.lon, km, strict=True)
    ]
    return answer


def nearest_rows(project_id: int, params: Params) -> list[list[Any]]:
    """One row per household: code, village, position, nearest facility and distance in km."""
    households = load_households(project_id, with_codes=True)
    facilities = load_facilities(project_id, params.kind, params.as_of)
    distances, index = geo.nearest(households.lat, households.lon, facilities.lat, facilities.lon)
    names = village_names(project_id)
    rows = []
    for i in range(households.count):
        j = int(index[i])
        rows.append(
            [
                households.code[i],
                names.get(int(households.village_id[i]), ""),
                float(households.lat[i]),
                float(households.lon[i]),
                facilities.names[j] if j >= 0 else "",
                round(float(distances[i]), 3) if j >= 0 else None,
                "yes" if distances[i] > params.within_km else "no",
            ]
        )
    return rows
