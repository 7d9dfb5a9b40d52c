"""OpenRosa fixtures: a project with two villages, members of each role with API tokens, a
child with consent, and helpers that build submissions from the served XForm's own primary
instance (so a change to an XLSForm breaks these tests, not only the forms)."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from cbpar.auth.services import create_api_token
from cbpar.db import db
from cbpar.projects.models import Village
from cbpar.security import Role

XF = "{http://www.w3.org/2002/xforms}"
# The smallest JPEG header the attachment check accepts as a photo.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def basic(username: str, token: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{token}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
def field(app, team) -> dict[str, Any]:
    """The team's project with a second village, and a token per member."""
    project = team["project"]
    tokens = {}
    with app.app_context():
        db.session.add(Village(project_id=project.id, name="Baiyin", code="BY"))
        for role, user in team["users"].items():
            _token, raw = create_api_token(db.session.merge(user), "collect")
            tokens[role] = raw
        _token, tokens["outsider"] = create_api_token(db.session.merge(team["outsider"]), "c")
        db.session.commit()
    return {**team, "tokens": tokens}


@pytest.fixture
def auth(field) -> Callable[[Role], dict[str, str]]:
    def headers(role: Role = Role.FIELD_WORKER) -> dict[str, str]:
        return basic(field["users"][role].username, field["tokens"][role])

    return headers


def primary_instance(xform: str) -> ET.Element:
    """The XForm's main instance (the first <instance>, without an id): the submission's shape."""
    root = ET.fromstring(xform)
    for instance in root.iter(f"{XF}instance"):
        if instance.get("id") is None:
            return next(iter(instance))
    raise AssertionError("no primary instance")


def submission_xml(xform: str, values: dict[str, str], instance_id: str | None = None) -> bytes:
    """Fill the primary instance: every value must name one of its leaves (so a renamed
    question fails here), then serialize as Collect does (no XForms namespace on the data)."""
    data = primary_instance(xform)
    leaves = {el.tag.removeprefix(XF): el for el in data.iter() if len(el) == 0}
    unknown = set(values) - set(leaves)
    assert not unknown, f"not questions of the form: {unknown}"
    for name, value in values.items():
        leaves[name].text = value
    leaves["instanceID"].text = instance_id or f"uuid:{uuid.uuid4()}"
    for el in data.iter():
        el.tag = el.tag.removeprefix(XF)
    return b"<?xml version='1.0' ?>" + ET.tostring(data, encoding="utf-8")


def household_values(**changes: str) -> dict[str, str]:
    values = {
        "village": "BY",
        "field_ref": "KB-12",
        "gps": "42.36301 119.83512 812.0 4.5",
        "members": "5",
        "children_under_6": "1",
        "children_6_17": "2",
        "left_behind_children": "2",
        "migrant_parents": "both",
        "caregiver": "grandparents",
        "visited_on": date.today().isoformat(),
        "consent_on": date.today().isoformat(),
        "consent_given_by": "grandmother",
        "notes": "Grandmother cares for both children.",
    }
    values.update(changes)
    return values


def post_submission(client, slug: str, xml: bytes, headers: dict, files: dict | None = None):
    data: dict[str, Any] = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
    for name, content in (files or {}).items():
        data[name] = (io.BytesIO(content), name, "application/octet-stream")
    return client.post(
        f"/projects/{slug}/openrosa/submission",
        data=data,
        headers={**headers, "X-OpenRosa-Version": "1.0"},
        content_type="multipart/form-data",
    )
