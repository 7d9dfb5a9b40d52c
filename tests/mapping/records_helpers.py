"""Helpers for the household and facility record tests: make records straight in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cbpar.db import db
from cbpar.mapping.models import Caregiver, Facility, FacilityKind, Household, MigrantParents
from cbpar.projects.models import Project, Village

SECRET_NOTE = "grandmother-worries-about-debts-7781"

VALID_HOUSEHOLD = {
    "lat": "42.36301",
    "lon": "119.83512",
    "members": "5",
    "children_under_6": "1",
    "children_6_17": "2",
    "left_behind_children": "3",
    "migrant_parents": "both",
    "caregiver": "grandparents",
    "visited_on": "2019-07-10",
    "consent_on": "2019-07-10",
    "consent_given_by": "grandmother",
    "notes": "",
}

VALID_FACILITY = {
    "name": "Town Central Kindergarten",
    "kind": "kindergarten",
    "status": "operating",
    "village_id": "",
    "lat": "42.2930",
    "lon": "119.9200",
    "capacity": "180",
    "opened_on": "2008-09-01",
    "notes": "",
}


def fetch(app: Flask, statement: Any) -> list[Any]:
    """Rows of a query, detached with their loaded attributes, for assertions."""
    with app.app_context():
        rows = list(db.session.scalars(statement))
        db.session.expunge_all()
        return rows


def village_of(app: Flask, project: Project, code: str = "SH") -> Village:
    with app.app_context():
        village = db.session.scalar(
            select(Village).where(Village.project_id == project.id, Village.code == code)
        )
        db.session.expunge(village)  # keep its loaded attributes after the context ends
        return village


@pytest.fixture(name="add_household")
def add_household_fixture(app: Flask) -> Callable[..., Household]:
    """Add a household with the next number in its village (default: the project's SH)."""

    def add(project: Project, village_code: str = "SH", **fields: Any) -> Household:
        with app.app_context():
            village = db.session.scalar(
                select(Village).where(
                    Village.project_id == project.id, Village.code == village_code
                )
            )
            number = 1 + len(
                list(db.session.scalars(select(Household.id).where(Household.village == village)))
            )
            values: dict[str, Any] = {
                "lat": 42.36301,
                "lon": 119.83512,
                "members": 5,
                "children_under_6": 1,
                "children_6_17": 2,
                "left_behind_children": 3,
                "migrant_parents": MigrantParents.BOTH,
                "caregiver": Caregiver.GRANDPARENTS,
                "notes": SECRET_NOTE,
                **fields,
            }
            household = Household(
                project_id=project.id,
                village_id=village.id,
                number=number,
                code=f"{village.code}-{number:03d}",
                **values,
            )
            db.session.add(household)
            db.session.commit()
            return household

    return add


@pytest.fixture(name="add_facility")
def add_facility_fixture(app: Flask) -> Callable[..., Facility]:
    def add(project: Project, **fields: Any) -> Facility:
        with app.app_context():
            values: dict[str, Any] = {
                "name": "Town Central Kindergarten",
                "kind": FacilityKind.KINDERGARTEN,
                "lat": 42.2930,
                "lon": 119.9200,
                "capacity": 180,
                **fields,
            }
            facility = Facility(project_id=project.id, **values)
            db.session.add(facility)
            db.session.commit()
            return facility

    return add
