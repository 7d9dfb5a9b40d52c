"""The web import wizard's steps, apart from the pages: discard an upload, check the rows
against a column mapping, commit them, and read a finished import back from its audit event.
The views keep the request's transaction (and, for the streamed import, their own)."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from sqlalchemy import func, select

from cbpar import events
from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.mapping.models import Household
from cbpar.projects.models import Project
from cbpar.transfer import importing, mappings, reading

SUMMARY_KEYS = ("rows", "created", "updated", "unchanged", "invalid")


def source_of(table: reading.Table) -> str:
    return f"web upload ({table.format})"


def discard(path: Path) -> None:
    """Nothing is imported: the uploaded file is deleted."""
    path.unlink(missing_ok=True)


def check(project: Project, kind: str, table: reading.Table, mapping: dict[str, str]):
    """Every row checked against the mapping; nothing written."""
    return importing.plan(project, kind, table, mapping)


def commit(
    project: Project,
    plan: importing.Plan,
    table: reading.Table,
    path: Path,
    *,
    kind: str,
    mapping: dict[str, str],
    save_mapping: bool,
) -> dict[str, int]:
    """Write the plan's valid rows (audited), keep the mapping if asked, delete the upload."""
    summary = importing.apply(project, plan, source=source_of(table))
    if save_mapping:
        mappings.save_mapping(project, kind, mapping)
    path.unlink(missing_ok=True)
    finished(project, kind, summary, events.path_for("transfer.index", slug=project.slug))
    return summary


def import_steps(
    project_id: int, kind: str, table: reading.Table, mapping: dict[str, str], *, save_mapping: bool
) -> Generator[importing.Event, None, tuple[dict[str, int], AuditEvent]]:
    """Check and write the rows in the current session, yielding progress events; returns the
    summary and the import's audit event. The caller commits (or rolls back)."""
    target = db.session.get(Project, project_id)
    if target is None:
        raise LookupError(f"project {project_id} is gone")
    plan = yield from importing.plan_steps(target, kind, table, mapping)
    summary, event = yield from importing.apply_steps(target, plan, source=source_of(table))
    if save_mapping:
        mappings.save_mapping(target, kind, mapping)
    url = events.path_for("transfer.imported", slug=target.slug, kind=kind, event_id=event.id)
    finished(target, kind, summary, url)
    return summary, event


def finished(project: Project, kind: str, summary: dict[str, int], url: str) -> None:
    """import_finished to whoever ran the import (in its transaction: kept if it is)."""
    user_id = events.actor_id()
    if user_id is None:
        return
    events.emit(
        events.Event(
            "import_finished",
            project.id,
            (user_id,),
            {"what": kind, "rows": int(summary.get("rows", 0))},
            url,
        )
    )


def failed(project_id: int, kind: str) -> None:
    """import_failed to whoever ran the import. The caller rolled the import back and commits
    this on its own, so the notice outlives the failed import."""
    user_id = events.actor_id()
    project = db.session.get(Project, project_id)
    if user_id is None or project is None:
        return
    events.emit(
        events.Event(
            "import_failed",
            project.id,
            (user_id,),
            {"what": kind},
            events.path_for("transfer.index", slug=project.slug),
        )
    )


def import_summary(project: Project, kind: str, event_id: int) -> dict[str, int] | None:
    """The counts of a finished import of `kind` into the project, from its audit event."""
    event = db.session.get(AuditEvent, event_id)
    if (
        event is None
        or event.project_id != project.id
        or event.action != "import"
        or event.details.get("what") != kind
    ):
        return None
    return {k: int(event.details.get(k, 0)) for k in SUMMARY_KEYS}


def household_id_by_code(project: Project, code: str) -> int | None:
    """The id of the project's household with this code (any case), or None."""
    return db.session.scalar(
        select(Household.id).where(
            Household.project_id == project.id, func.lower(Household.code) == code.lower()
        )
    )
