"""Fictional households and facilities for the demo project, and synthetic ones for benchmarks.

Everything is generated from fixed seeds, so loading twice gives the same data, and each
loader only adds what is missing (households by code, facilities by name).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from cbpar.db import db, utcnow
from cbpar.mapping import analysis, services
from cbpar.mapping.models import (
    Caregiver,
    Facility,
    FacilityKind,
    FacilityStatus,
    Household,
    MigrantParents,
    SavedAnalysis,
)
from cbpar.projects.models import Project, Village

KM_PER_DEGREE = 111.32
HOUSEHOLDS_PER_VILLAGE = 60
VILLAGE_RADIUS_KM = 1.5
SYNTHETIC_FIRST_NUMBER = 1001  # synthetic codes (SH-1001...) never collide with the demo's
CONSENT_BY = ("head of household", "grandmother", "grandfather", "mother", "father")
NOTES = (
    "Grandmother cares for two grandchildren; mother works in a factory in the city.",
    "Child walks 40 minutes to the bus for school; no kindergarten nearby.",
    "Family asked about after-school tutoring.",
    "Parents call once a week; the child is shy with visitors.",
)


def _offset(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A point uniformly spread over a disc of `radius_km` around (lat, lon)."""
    r = radius_km * math.sqrt(rng.random())
    theta = rng.uniform(0, 2 * math.pi)
    dlat = r * math.cos(theta) / KM_PER_DEGREE
    dlon = r * math.sin(theta) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _family(rng: random.Random) -> dict[str, Any]:
    """Plausible counts: many young children, many left behind, often with grandparents."""
    under_6 = rng.choices((0, 1, 2, 3), weights=(30, 45, 20, 5))[0]
    older = rng.choices((0, 1, 2, 3), weights=(30, 40, 22, 8))[0]
    children = under_6 + older
    answers = (
        MigrantParents.NONE,
        MigrantParents.FATHER,
        MigrantParents.MOTHER,
        MigrantParents.BOTH,
    )
    if children:
        away = rng.choices(answers, weights=(30, 25, 10, 35))[0]
    else:
        away = rng.choices(answers, weights=(70, 15, 5, 10))[0]
    if away == MigrantParents.BOTH:
        caregiver = rng.choices(
            (Caregiver.GRANDPARENTS, Caregiver.OTHER_RELATIVES, Caregiver.OTHER),
            weights=(85, 12, 3),
        )[0]
    elif away == MigrantParents.NONE:
        caregiver = Caregiver.PARENTS
    else:
        caregiver = rng.choices((Caregiver.PARENTS, Caregiver.GRANDPARENTS), weights=(60, 40))[0]
    adults = {MigrantParents.NONE: 2, MigrantParents.BOTH: 0}.get(away, 1)
    if caregiver in (Caregiver.GRANDPARENTS, Caregiver.OTHER_RELATIVES):
        adults += rng.choice((1, 2))
    adults = max(adults, 1)
    return {
        "members": children + adults,
        "children_under_6": under_6,
        "children_6_17": older,
        "left_behind_children": children if away != MigrantParents.NONE else 0,
        "migrant_parents": away,
        "caregiver": caregiver,
    }


def _household_row(
    rng: random.Random,
    project: Project,
    village: Village,
    number: int,
    where: tuple[float, float],
    radius_km: float,
) -> dict[str, Any]:
    lat, lon = _offset(rng, where[0], where[1], radius_km)
    visited = date(2019, 7, 8) + timedelta(days=rng.randrange(0, 50))
    now = utcnow()
    return {
        "project_id": project.id,
        "village_id": village.id,
        "number": number,
        "code": services.household_code(village, number),
        "lat": lat,
        "lon": lon,
        **_family(rng),
        "visited_on": visited,
        "consent_on": visited,
        "consent_given_by": rng.choice(CONSENT_BY),
        "notes": rng.choice(NOTES) if rng.random() < 0.15 else "",
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _villages(project: Project) -> list[Village]:
    """The villages that have a centre point (or all of them, if none has one)."""
    rows = services.villages(project)
    located = [v for v in rows if v.center_lat is not None and v.center_lon is not None]
    return located or rows


def load_households(project: Project) -> int:
    """About 60 households around each village centre; returns how many were added."""
    existing = services.existing_codes(project)
    rows = []
    for village in sorted(_villages(project), key=lambda v: v.code):
        rng = random.Random(f"demo-households-{village.code}")
        centre = (village.center_lat or 0.0, village.center_lon or 0.0)
        for number in range(1, HOUSEHOLDS_PER_VILLAGE + 1):
            row = _household_row(rng, project, village, number, centre, VILLAGE_RADIUS_KM)
            if row["code"] not in existing:
                rows.append(row)
    return services.bulk_insert(Household, rows)


def load_facilities(project: Project, town: tuple[float, float]) -> int:
    """The seed study's facilities: the town's kindergarten ~10 km from Shuanghe, and others."""
    by_code = {v.code: v for v in services.villages(project)}
    sh, ls = by_code.get("SH"), by_code.get("LS")

    def near(village: Village | None, dlat: float, dlon: float) -> tuple[float, float]:
        base = (village.center_lat, village.center_lon) if village and village.center_lat else town
        return round(base[0] + dlat, 6), round(base[1] + dlon, 6)

    operating = FacilityStatus.OPERATING
    facilities = [
        # name, kind, status, (lat, lon), village, capacity, opened_on, notes
        (
            "Town Central Kindergarten (镇中心幼儿园)",
            FacilityKind.KINDERGARTEN,
            operating,
            town,
            None,
            180,
            date(2008, 9, 1),
            "The only kindergarten within reach: about 10 km from Shuanghe.",
        ),
        (
            "Shuanghe Primary School (双河小学)",
            FacilityKind.PRIMARY_SCHOOL,
            operating,
            near(sh, 0.0021, 0.0034),
            sh,
            240,
            date(1986, 9, 1),
            "",
        ),
        (
            "Liangshui Village Clinic (凉水村卫生室)",
            FacilityKind.CLINIC,
            operating,
            near(ls, -0.0012, 0.0018),
            ls,
            None,
            date(2005, 5, 1),
            "",
        ),
        (
            "Shuanghe Village Committee (双河村委会)",
            FacilityKind.VILLAGE_COMMITTEE,
            operating,
            near(sh, 0.0, 0.0),
            sh,
            None,
            None,
            "",
        ),
        (
            "Liangshui Village Committee (凉水村委会)",
            FacilityKind.VILLAGE_COMMITTEE,
            operating,
            near(ls, 0.0, 0.0),
            ls,
            None,
            None,
            "",
        ),
        (
            "Shuanghe Social-Work Station (双河社工站)",
            FacilityKind.SOCIAL_WORK_STATION,
            operating,
            near(sh, 0.0024, 0.0030),
            sh,
            None,
            date(2019, 10, 15),
            "In the primary school: after-school activities and casework.",
        ),
        (
            "Shuanghe Kindergarten (双河幼儿园)",
            FacilityKind.KINDERGARTEN,
            FacilityStatus.PLANNED,
            near(sh, -0.0018, -0.0026),
            sh,
            60,
            None,
            "Proposed by the community at the needs-ranking meeting; the village offers the site.",
        ),
    ]
    existing = services.facility_names(project)
    rows = []
    now = utcnow()
    for name, kind, status, (lat, lon), village, capacity, opened, notes in facilities:
        if name in existing:
            continue
        rows.append(
            {
                "project_id": project.id,
                "village_id": village.id if village else None,
                "name": name,
                "kind": kind,
                "status": status,
                "lat": lat,
                "lon": lon,
                "capacity": capacity,
                "opened_on": opened,
                "notes": notes,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    return services.bulk_insert(Facility, rows)


ANALYSIS_NAME = "Children under six beyond 5 km of a kindergarten (December 2019)"


def load_analysis(project: Project) -> bool:
    """The saved analysis behind the seed study's finding, with the planned kindergarten as a
    candidate site; the needs demo links it as evidence. True if added."""

    if db.session.scalar(
        select(SavedAnalysis.id).where(
            SavedAnalysis.project_id == project.id, SavedAnalysis.name == ANALYSIS_NAME
        )
    ):
        return False
    planned = db.session.scalar(
        select(Facility).where(
            Facility.project_id == project.id, Facility.status == FacilityStatus.PLANNED
        )
    )
    args = {"kind": "kindergarten", "within_km": "5", "as_of": "2019-12-01"}
    if planned is not None:
        args["candidate"] = [f"{planned.lat},{planned.lon}"]
    params, _errors = analysis.parse_params(args, date(2019, 12, 1))
    if params is None:
        return False
    db.session.add(
        SavedAnalysis(
            project_id=project.id,
            name=ANALYSIS_NAME,
            kind=params.kind,
            within_km=params.within_km,
            as_of=params.as_of,
            candidates=[[lat, lon] for lat, lon in params.candidates],
            result=analysis.accessibility(project.id, params),
        )
    )
    db.session.flush()
    return True


def synthetic_households(project: Project, n: int, town: tuple[float, float]) -> int:
    """N more households (codes from 1001 in each village) for benchmarks; returns how many new.

    Most lie within 3 km of a village centre; a third are spread over 25 km around the town.
    """
    villages = sorted(_villages(project), key=lambda v: v.code)
    if n <= 0 or not villages:
        return 0
    existing = services.existing_codes(project)
    rng = random.Random("synthetic-households")
    rows = []
    for i in range(n):
        village = villages[i % len(villages)]
        number = SYNTHETIC_FIRST_NUMBER + i // len(villages)
        if rng.random() < 2 / 3 and village.center_lat is not None:
            where, radius = (village.center_lat, village.center_lon or 0.0), 3.0
        else:
            where, radius = town, 25.0
        row = _household_row(rng, project, village, number, where, radius)
        if row["code"] not in existing:
            rows.append(row)
    return services.bulk_insert(Household, rows)


def synthetic_facilities(project: Project, m: int, town: tuple[float, float]) -> int:
    """M more facilities of mixed kinds (a third kindergartens) within 30 km of the town."""
    if m <= 0:
        return 0
    existing = services.facility_names(project)
    rng = random.Random("synthetic-facilities")
    kinds = [k for k in FacilityKind if k != FacilityKind.KINDERGARTEN]
    rows = []
    now = utcnow()
    for i in range(m):
        kind = FacilityKind.KINDERGARTEN if i % 3 == 0 else kinds[i % len(kinds)]
        status = rng.choices(list(FacilityStatus), weights=(5, 3, 85, 7))[0]
        lat, lon = _offset(rng, town[0], town[1], 30.0)
        opened = date(1990, 1, 1) + timedelta(days=rng.randrange(0, 34 * 365))
        name = f"Synthetic facility {i + 1:04d}"
        if name in existing:
            continue
        rows.append(
            {
                "project_id": project.id,
                "village_id": None,
                "name": name,
                "kind": kind,
                "status": status,
                "lat": lat,
                "lon": lon,
                "capacity": rng.choice((None, 30, 60, 120, 300)),
                "opened_on": None if status == FacilityStatus.PLANNED else opened,
                "notes": "",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    return services.bulk_insert(Facility, rows)
