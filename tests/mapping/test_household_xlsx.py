"""The household list as an Excel workbook: the CSV's columns and rows, Chinese intact, numbers
as numbers, hostile text stored as text (never a formula), for the field team only, audited."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.mapping.exports import HOUSEHOLD_CSV_COLUMNS
from cbpar.mapping.models import Caregiver, MigrantParents
from cbpar.security import Role
from tests.helpers import fetch

URL = "/projects/p1/households.xlsx"


def test_the_workbook_has_the_csv_columns_and_keeps_text_as_text(
    app, client, team, login, add_household
):
    project = team["project"]
    add_household(project, notes="奶奶照顾三个孩子", field_ref="KB-1")
    add_household(
        project,
        notes='=HYPERLINK("http://x.test","click")',
        migrant_parents=MigrantParents.UNKNOWN,
        caregiver=Caregiver.UNKNOWN,
        members=None,
    )
    login(team["users"][Role.FIELD_WORKER])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"

    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    assert header == list(HOUSEHOLD_CSV_COLUMNS)
    first, second = ({header[i]: c for i, c in enumerate(row)} for row in rows[1:])
    assert first["code"].value == "SH-001" and first["notes"].value == "奶奶照顾三个孩子"
    assert first["members"].data_type == "n" and isinstance(first["lat"].value, float)
    assert second["notes"].value.startswith("=HYPERLINK") and second["notes"].data_type == "s"
    assert second["migrant_parents"].value == "unknown" and second["caregiver"].value == "unknown"
    assert second["members"].value is None
    events = fetch(app, select(AuditEvent).where(AuditEvent.action == "export"))
    assert [(e.details["format"], e.details["rows"]) for e in events] == [("xlsx", 2)]


def test_only_roles_that_see_household_details_get_it(client, team, login):
    for role in (Role.COMMITTEE, Role.OBSERVER):
        login(team["users"][role])
        assert client.get(URL).status_code == 403, role
