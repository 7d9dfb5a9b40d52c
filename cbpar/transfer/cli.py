"""CLI: `cbpar import households|facilities|project`, `cbpar export project`, backup, restore."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.transfer import archive, archive_import, backup, columns, importing, mappings, reading

KINDS = ("households", "facilities")


def _project(slug: str):
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise click.ClickException(f"No project with slug {slug!r}.")
    return project


@click.group("import")
def import_group() -> None:
    """Import households or facilities (CSV, XLSX, GeoJSON, KoBo/ODK), or a project archive."""


def _advance(bar: Any) -> Callable[[str, int, int], None]:
    """A progress callback (phase, done, total) that moves a click progress bar to `done`."""

    def update(_phase: str, done: int, _total: int) -> None:
        bar.update(done - bar.pos)

    return update


def _import_records(
    kind: str,
    file: str,
    slug: str,
    map_: str,
    dry_run: bool,
    only_valid: bool,
    save: bool,
    fmt: str | None,
) -> None:
    project = _project(slug)
    try:
        table = reading.read_path(file, fmt)
        given = columns.parse_map_option(map_, kind)
    except (reading.ReadError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    mapping = mappings.mapping_for(project, kind, table, given)
    described = columns.describe_columns(kind, mapping, table.columns, table.rows)
    click.echo(f"{len(table.rows):,} rows; every column of the file:")
    for column in described:
        target = ", ".join(column["fields"]) if column["fields"] else "NOT IMPORTED"
        samples = " | ".join(column["samples"]) or "(empty)"
        click.echo(f"  {column['column']!r:<32} -> {target:<22} e.g. {samples}")
    unmapped = [c["column"] for c in described if not c["fields"]]
    if unmapped:
        click.echo(
            f"{len(unmapped)} column(s) not imported: {', '.join(unmapped)} "
            "(use --map field=column to import one)",
            err=True,
        )
    problems = mappings.check_mapping(kind, mapping, table)
    if problems:
        raise click.ClickException(" ".join(problems) + " (use --map field=column)")
    with click.progressbar(length=len(table.rows), label="Checking") as bar:
        plan = importing.plan(project, kind, table, mapping, progress=_advance(bar))
    for problem in plan.problems:
        click.echo(f"line {problem.line}: {' '.join(problem.reasons)}", err=True)
    summary = plan.summary()
    click.echo(
        "{rows:,} rows: {created:,} new, {updated:,} updated, {unchanged:,} unchanged, "
        "{invalid:,} invalid.".format(**summary)
    )
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was written.")
        return
    if plan.problems and not only_valid:
        db.session.rollback()
        raise click.ClickException(
            "Nothing imported: some rows are invalid. Fix them, or pass --only-valid "
            "to import the valid rows only."
        )
    try:
        with click.progressbar(length=len(plan.new) + len(plan.changed), label="Writing") as bar:
            importing.apply(project, plan, source=Path(file).name, progress=_advance(bar))
        if save:
            mappings.save_mapping(project, kind, mapping)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(
        f"Imported into {slug}: {summary['created']:,} created, "
        f"{summary['updated']:,} updated, {summary['unchanged']:,} unchanged."
    )


def _records_command(kind: str) -> click.Command:
    @click.command(kind, help=f"Import {kind} from FILE into a project.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--project", "slug", required=True, help="The project's slug.")
    @click.option("--map", "map_", default="", help="field=column,... (overrides suggestions).")
    @click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
    @click.option("--only-valid", is_flag=True, help="Import the valid rows, skip the others.")
    @click.option("--save-mapping", "save", is_flag=True, help="Remember the columns used.")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "geojson"]), default=None)
    @with_appcontext
    def command(file, slug, map_, dry_run, only_valid, save, fmt) -> None:
        _import_records(kind, file, slug, map_, dry_run, only_valid, save, fmt)

    return command


for _kind in KINDS:
    import_group.add_command(_records_command(_kind))


@import_group.command("project")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--slug", default=None, help="A new slug for the imported project.")
@click.option(
    "--with-members",
    is_flag=True,
    help="Also import memberships: the listed local accounts get the listed roles.",
)
@click.option("--dry-run", is_flag=True, help="Check the archive and show the plan; write nothing.")
@with_appcontext
def import_project(file: str, slug: str | None, with_members: bool, dry_run: bool) -> None:
    """Import a project archive (made by `cbpar export project`).

    The whole archive is checked first; the plan (accounts matched by user name, memberships
    and their roles, what is left out) is shown before anything is written.
    """
    try:
        importer = archive_import.prepare(Path(file), slug=slug, with_members=with_members)
    except archive.ArchiveError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    for line in importer.plan.lines():
        click.echo(line)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was written.")
        return
    try:
        project = importer.apply()
        db.session.commit()
    except archive.ArchiveError as exc:
        db.session.rollback()
        importer.discard_files()
        raise click.ClickException(str(exc)) from exc
    except Exception:
        db.session.rollback()
        importer.discard_files()
        raise
    click.echo(f"Imported project {project.slug}.")


@click.group("export")
def export_group() -> None:
    """Export a whole project as an archive."""


@export_group.command("project")
@click.argument("slug")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def export_project(slug: str, output: str) -> None:
    """Write project SLUG (every record, attachments, schema revision) to a zip file."""
    project = _project(slug)
    manifest = archive.export_project(project, Path(output))
    db.session.commit()  # the audit event
    counts = manifest["tables"]
    click.echo(f"Wrote {output}: {sum(counts.values()):,} records in {len(counts)} tables.")
    note = archive.withheld_note(manifest)
    if note:
        click.echo(note)


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(output: str) -> None:
    """A consistent copy of the database, safe while the app is running."""
    try:
        click.echo(backup.backup(db.engine, Path(output)))
    except backup.BackupError as exc:
        backup.tell_admins_it_failed()
        raise click.ClickException(str(exc)) from exc
    except Exception:  # e.g. the output folder cannot be written
        backup.tell_admins_it_failed()
        raise


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(file: str) -> None:
    """Restore a backup into this (empty) instance's database."""
    try:
        click.echo(backup.restore(db.engine, Path(file)))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


COMMANDS = (import_group, export_group, backup_command, restore_command)
