"""Column mappings (which file column feeds which field): checking one against a file, and
the mapping each project last used, offered again next time."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.transfer import columns as cols
from cbpar.transfer.models import ImportMapping
from cbpar.transfer.reading import Table


def check_mapping(kind: str, mapping: dict[str, str], table: Table) -> list[str]:
    """Problems with the mapping itself (a required field unmapped, a column not in the file)."""
    problems = []
    labels = cols.FIELDS[kind]
    for name in cols.REQUIRED[kind]:
        if not mapping.get(name):
            problems.append(_("Choose the column for %(field)s.", field=labels[name]))
    for column in cols.missing_columns(mapping, table.columns):
        problems.append(_("The file has no column %(column)s.", column=column))
    return problems


def saved_mapping(project: Project, kind: str) -> dict[str, str]:
    record = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.project_id == project.id, ImportMapping.kind == kind
        )
    )
    return dict(record.mapping) if record else {}


def save_mapping(project: Project, kind: str, mapping: dict[str, str]) -> None:
    record = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.project_id == project.id, ImportMapping.kind == kind
        )
    )
    if record is None:
        record = ImportMapping(project_id=project.id, kind=kind)
        db.session.add(record)
    record.mapping = {k: v for k, v in mapping.items() if v}
    db.session.flush()


def mapping_for(project: Project, kind: str, table: Table, given: dict[str, str]) -> dict[str, str]:
    """Suggestions, then the project's saved mapping where its columns exist, then `given`."""
    mapping = cols.suggest(kind, table.columns)
    for name, column in saved_mapping(project, kind).items():
        if column in table.columns and name in mapping:
            mapping[name] = column
    mapping.update({k: v for k, v in given.items() if k in mapping})
    return mapping
