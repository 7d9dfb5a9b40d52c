"""Helpers for the write API tests: bodies that the pages would accept, and clients."""

from __future__ import annotations

import uuid
from typing import Any

from tests.memos.helpers import as_user  # noqa: F401  (a logged-in client per role)

HOUSEHOLD = {
    "village": "Shuanghe",
    "lat": 42.36301,
    "lon": 119.83512,
    "members": 5,
    "children_under_6": 1,
    "children_6_17": 2,
    "left_behind_children": 2,
    "migrant_parents": "both",
    "caregiver": "grandparents",
    "visited_on": "2020-05-01",
    "consent_on": "2020-05-01",
    "consent_given_by": "grandmother",
    "notes": "Grandmother cares for three.",
}
FACILITY = {
    "name": "Shuanghe kindergarten",
    "kind": "kindergarten",
    "status": "planned",
    "village": "SH",
    "lat": 42.36,
    "lon": 119.83,
    "capacity": 60,
    "opened_on": "2022-09-01",
}
INTERVIEW = {
    "kind": "key_informant",
    "held_on": "2020-05-01",
    "interviewee_role": "village director",
    "language": "Mandarin",
    "consent_method": "written",
    "consent_given_by": "person",
    "child_assent": "not_applicable",
    "consent_on": "2020-05-01",
    "covers_notes": True,
    "notes": "The kindergarten is 10 km away. 幼儿园太远。",
}


def new_id() -> str:
    return str(uuid.uuid4())


def body(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**base, **fields}
