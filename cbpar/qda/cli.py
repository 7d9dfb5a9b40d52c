"""CLI: `cbpar qda export SLUG -o FILE.qdpx [--codebook]`, `cbpar qda import-codebook SLUG FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.qda import refi, services


def _project(slug: str) -> Project:
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise click.ClickException(f"No project with slug {slug!r}.")
    return project


@click.group("qda")
def qda_group() -> None:
    """Qualitative coding: REFI-QDA export and code book import."""


@qda_group.command("export")
@click.argument("slug")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@click.option("--codebook", is_flag=True, help="Only the code book, as a .qdc file.")
@with_appcontext
def export(slug: str, output: str, codebook: bool) -> None:
    """Export the project's coded sources as REFI-QDA (.qdpx), or its code book (.qdc).

    The project file holds every source whose consent stands (withdrawn interviews never),
    as the team sees them, without anyone's private memos."""
    project = _project(slug)
    try:
        if codebook:
            data = refi.export_codebook(project)
        else:
            data = refi.export_project(project, services.Everyone(project.id))
    except refi.RefiError as exc:
        raise click.ClickException(str(exc)) from None
    Path(output).write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes).")


@qda_group.command("import-codebook")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_codebook(slug: str, path: str) -> None:
    """Add the codes of a REFI-QDA code book (.qdc), project (.qdpx) or a CSV (name,
    definition, parent) to the project's code book; codes it has already are left as they are."""
    project = _project(slug)
    data = Path(path).read_bytes()
    try:
        if path.lower().endswith(".csv"):
            result = services.import_csv(project, data, None)
        else:
            result = refi.import_codebook(project, data, None)
    except (refi.RefiError, services.CodeBookError, UnicodeDecodeError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{result.created} codes added, {result.existing} already there.")
    for problem in result.problems:
        click.echo(f"  {problem}")


COMMANDS = [qda_group]
