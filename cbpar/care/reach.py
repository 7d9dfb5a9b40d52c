"""Service reach on the map: children under 6 living more than N km from a social-work station
and with no contact in the last 30 days (no contact logged, not present at a session).

For the field team (`see_children`) the answer is points: each such child's household, with
how many of its children match. For everyone else it is village figures only, counts from 1
to 4 suppressed and one more withheld where the others would give it away (cbpar/privacy.py),
and the distance may not be under 1 km (a what-if circle aimed at one house). Distances are
great-circle distances from the household to the nearest operating station (cbpar/mapping/geo.py;
no station at all: every child is beyond).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from cbpar import privacy
from cbpar.care.models import (
    AttendanceStatus,
    Child,
    ContactLog,
    ProgrammeSession,
    SessionAttendance,
)
from cbpar.db import db
from cbpar.mapping import geo
from cbpar.mapping.analysis import load_facilities
from cbpar.mapping.models import FacilityKind, Household
from cbpar.meetings.services import project_today, to_utc
from cbpar.projects.models import Village

DEFAULT_KM = 3.0
MIN_KM = 0.5
MAX_KM = 50.0
UNDER_AGE = 6
NO_CONTACT_DAYS = 30


@dataclass(frozen=True)
class Reach:
    km: float
    today: date
    # One row per matching child: household id, code, village id, lat, lon.
    rows: list[tuple[int, str, int, float, float]]


def parse_km(raw: str | None, audience: privacy.Audience) -> tuple[float | None, str | None]:
    """The distance asked (km), or the reason it is refused."""
    if raw is None or raw.strip() == "":
        return DEFAULT_KM, None
    try:
        km = float(raw.strip().replace(",", "."))
    except ValueError:
        return None, _("The distance must be a number of km, e.g. 3.")
    if not np.isfinite(km) or km < MIN_KM or km > MAX_KM:
        return None, _(
            "The distance must be between %(low)s and %(high)s km.",
            low=f"{MIN_KM:g}",
            high=f"{MAX_KM:g}",
        )
    refused = privacy.radius_error(km, privacy.children_audience(audience))
    return (None, refused) if refused else (km, None)


def _recent_children(project: Any, since: date) -> set[int]:
    """Children contacted, or present at a session, on `since` or later."""
    contacted = select(ContactLog.child_id).where(
        ContactLog.project_id == project.id, ContactLog.on >= since
    )
    low = to_utc(datetime.combine(since, time.min), project)
    present = (
        select(SessionAttendance.child_id)
        .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
        .where(
            ProgrammeSession.project_id == project.id,
            ProgrammeSession.starts_at >= low,
            SessionAttendance.status == AttendanceStatus.PRESENT,
        )
    )
    return set(db.session.scalars(contacted.union(present)))


def compute(project: Any, km: float) -> Reach:
    today = project_today(project)
    # Born in or after this year may be under 6; the exact age is checked per child below.
    youngest_year = today.year - UNDER_AGE
    children = db.session.execute(
        select(Child, Household.id, Household.code, Household.village_id, Household.lat,
               Household.lon)
        .join(Household, Household.id == Child.household_id)
        .where(Child.project_id == project.id, Child.withdrawn_at.is_(None),
               Child.birth_year >= youngest_year)
    ).all()  # fmt: skip
    young = [row for row in children if row[0].age_on(today) < UNDER_AGE]
    recent = _recent_children(project, today - timedelta(days=NO_CONTACT_DAYS - 1))
    waiting = [row for row in young if row[0].id not in recent]
    if not waiting:
        return Reach(km, today, [])
    stations = load_facilities(project.id, FacilityKind.SOCIAL_WORK_STATION, today)
    lats = np.array([row[4] for row in waiting], dtype=float)
    lons = np.array([row[5] for row in waiting], dtype=float)
    distances, _index = geo.nearest(lats, lons, stations.lat, stations.lon)
    rows = [
        (row[1], row[2], row[3], row[4], row[5])
        for row, d in zip(waiting, distances, strict=True)
        if d > km
    ]
    return Reach(km, today, rows)


def answer(project: Any, reach: Reach, points: bool, audience: privacy.Audience) -> dict:
    """The layer's JSON (cbpar/mapping/layers.py): points for the field team, else villages."""
    note = _(
        "Children under 6 more than %(km)s km from a social-work station, with no contact "
        "in the last %(days)d days.",
        km=f"{reach.km:g}",
        days=NO_CONTACT_DAYS,
    )
    result: dict[str, Any] = {"km": reach.km, "as_of": reach.today.isoformat(), "note": note}
    if points:
        by_household: dict[int, dict[str, Any]] = {}
        for household_id, code, _village, lat, lon in reach.rows:
            point = by_household.setdefault(
                household_id, {"lat": round(lat, 5), "lon": round(lon, 5), "label": code,
                               "count": 0}
            )  # fmt: skip
            point["count"] += 1
        result.update(shape="points", points=list(by_household.values()), total=len(reach.rows))
        return result
    audience = privacy.children_audience(audience)
    counts: dict[int, int] = {}
    for _household, _code, village_id, _lat, _lon in reach.rows:
        counts[village_id] = counts.get(village_id, 0) + 1
    villages = db.session.execute(
        select(Village.id, Village.name, Village.center_lat, Village.center_lon)
        .where(Village.project_id == project.id)
        .order_by(Village.name)
    ).all()
    rows = [
        {"village": name, "lat": lat, "lon": lon, "count": counts.get(vid, 0)}
        for vid, name, lat, lon in villages
    ]
    shaped = privacy.suppress_rows(rows, ("count",), audience, key="village")
    # Every village, also one without a centre point (the map cannot place it; a list can).
    result.update(
        shape="villages", villages=shaped, total=privacy.suppress(len(reach.rows), audience)
    )
    return result
