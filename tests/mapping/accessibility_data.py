"""Hand-placed households and facilities for the accessibility tests (figures computed by hand).

Everything lies on the meridian 120°E, where 0.01° of latitude is 1.112 km, so each distance
below is easy to check: the nearest kindergarten K1 is at 42.00°N.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from cbpar.db import db
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household
from cbpar.projects.models import Project, Village

# (village code, lat, children under 6, left-behind children); km to K1 in the comment.
HOUSEHOLDS = [
    ("SH", 42.01, 1, 0),  # 1.11 km
    ("SH", 42.04, 2, 1),  # 4.45 km
    ("SH", 42.10, 1, 2),  # 11.12 km
    ("LS", 42.20, 0, 1),  # 22.24 km
    ("LS", 42.30, 3, 0),  # 33.36 km
]
FACILITIES = [
    ("K1", FacilityKind.KINDERGARTEN, FacilityStatus.OPERATING, 42.00, date(2020, 9, 1)),
    ("K2", FacilityKind.KINDERGARTEN, FacilityStatus.OPERATING, 43.00, None),
    ("K3 planned", FacilityKind.KINDERGARTEN, FacilityStatus.PLANNED, 42.20, None),
    ("K4 closed", FacilityKind.KINDERGARTEN, FacilityStatus.CLOSED, 42.10, None),
    ("Clinic", FacilityKind.CLINIC, FacilityStatus.OPERATING, 42.20, None),
]
LON = 120.0


def seed(app: Flask, project: Project) -> dict[str, Any]:
    with app.app_context():
        villages = {
            v.code: v
            for v in db.session.scalars(select(Village).where(Village.project_id == project.id))
        }
        if "LS" not in villages:
            villages["LS"] = Village(project_id=project.id, name="Liangshui", code="LS")
            db.session.add(villages["LS"])
            db.session.flush()
        ids = []
        for number, (code, lat, u6, lb) in enumerate(HOUSEHOLDS, start=1):
            household = Household(
                project_id=project.id,
                village_id=villages[code].id,
                number=number,
                code=f"{code}-{number:03d}",
                lat=lat,
                lon=LON,
                members=4,
                children_under_6=u6,
                children_6_17=lb,
                left_behind_children=lb,
            )
            db.session.add(household)
            db.session.flush()
            ids.append(household.id)
        facility_ids = {}
        for name, kind, status, lat, opened in FACILITIES:
            facility = Facility(
                project_id=project.id,
                name=name,
                kind=kind,
                status=status,
                lat=lat,
                lon=LON,
                opened_on=opened,
            )
            db.session.add(facility)
            db.session.flush()
            facility_ids[name] = facility.id
        db.session.commit()
        return {"households": ids, "facilities": facility_ids}
