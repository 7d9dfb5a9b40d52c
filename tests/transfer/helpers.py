"""Shared helpers for the transfer tests: running the CLI against an app, making projects."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from flask.cli import ScriptInfo

from cbpar.cli import main
from cbpar.db import db
from cbpar.projects.models import Project, Village


def run(app, *args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, obj=ScriptInfo(create_app=lambda: app))


def make_project_with_villages(app, slug: str = "p1") -> int:
    with app.app_context():
        project = Project(slug=slug, name=f"Project {slug}")
        db.session.add(project)
        db.session.add(Village(project=project, name="Shuanghe", code="SH"))
        db.session.add(Village(project=project, name="Baiyin", code="BY"))
        db.session.commit()
        return project.id


def household_row(**fields: Any) -> dict[str, Any]:
    row = {
        "village": "Shuanghe",
        "lat": "42.36",
        "lon": "119.83",
        "members": "4",
        "children_under_6": "1",
        "children_6_17": "1",
        "left_behind_children": "2",
        "migrant_parents": "both",
        "caregiver": "grandparents",
        "visited_on": "",
    }
    row.update(fields)
    return row


def csv_bytes(rows: list[dict[str, Any]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    header = list(rows[0])
    lines = [delimiter.join(header)]
    lines += [delimiter.join(str(r.get(c, "")) for c in header) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
