"""Backups while the app runs, and restoring one into an empty instance.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot
in one step under one read snapshot while other connections keep writing (WAL readers do
not block writers). PostgreSQL: `pg_dump` in custom format, when the
program is installed (restore with `pg_restore`).

Attachment files are in the dump when CBPAR_ATTACHMENT_STORAGE=database (table
attachment_blob); with folder storage the output says which folder to copy as well.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import has_app_context
from sqlalchemy import Engine, inspect, select, text

from cbpar import events
from cbpar.attachments import storage
from cbpar.auth.models import User
from cbpar.db import db


class BackupError(Exception):
    """Shown to the operator as is."""


def tell_admins_it_failed() -> None:
    """backup_failed to the site administrators, committed in a transaction of its own (after
    rolling back whatever the failed backup left), so the notice survives the failure. The
    reason is for the operator's log, never in the notice."""
    db.session.rollback()
    admins = tuple(
        db.session.scalars(
            select(User.id).where(User.is_admin.is_(True), User.active.is_(True)).order_by(User.id)
        )
    )
    events.emit(events.Event("backup_failed", None, admins, {}, events.path_for("projects.users")))
    db.session.commit()


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("This instance's SQLite database is in memory: nothing to back up.")
    return Path(database)


def backup(engine: Engine, output: Path) -> str:
    if engine.dialect.name == "sqlite":
        message = _backup_sqlite(engine, output)
    elif engine.dialect.name == "postgresql":
        message = _backup_postgres(engine, output)
    else:
        raise BackupError(f"No backup method for {engine.dialect.name}.")
    return f"{message}\n{attachments_note()}"


def attachments_note() -> str:
    """Whether the backup holds the attachment files, or where they are to be copied from."""
    if not has_app_context():
        return ""

    if storage.kind() == "database":
        return "Attachments are stored in the database: this backup holds them."
    return (
        f"Attachments are stored in the folder {storage.current().where()}: "
        "this backup does not hold them; copy that folder too (e.g. rsync -a)."
    )


def _backup_sqlite(engine: Engine, output: Path) -> str:
    source_path = _sqlite_path(engine)
    if output.resolve() == source_path.resolve():
        raise BackupError("The backup file cannot be the database itself.")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        # A passive checkpoint never makes writers wait (a TRUNCATE one holds new writers back
        # while it waits for readers, and a busy app would see "database is locked"). The copy
        # does not need it: the backup API copies each page as the snapshot sees it, WAL included,
        # so old page versions left in the WAL are never copied.
        source.execute("PRAGMA wal_checkpoint(PASSIVE)")
        target = sqlite3.connect(partial)
        try:
            # pages=-1: the whole database in one step, under one read snapshot.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
            problem = target.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            target.close()
    finally:
        source.close()
    if problem != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"The copy failed its integrity check: {problem}")
    partial.replace(output)
    return f"Backed up {source_path.name} to {output} ({output.stat().st_size:,} bytes)."


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _backup_postgres(engine: Engine, output: Path) -> str:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError(
            "pg_dump is not installed. Install the PostgreSQL client tools (same major version "
            "as the server), or run: pg_dump --format=custom --file=FILE DATABASE_URL"
        )
    result = subprocess.run(
        [program, "--format=custom", f"--file={output}", f"--dbname={_pg_url(engine)}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return f"Backed up the PostgreSQL database to {output} with pg_dump."


def instance_is_empty(engine: Engine) -> bool:
    """No tables, or tables with no project and no user (just after `cbpar db upgrade`)."""
    names = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        for name in ("project", "user"):
            if (
                name in names
                and connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()
            ):
                return False
    return True


def restore(engine: Engine, backup_file: Path) -> str:
    if not instance_is_empty(engine):
        raise BackupError(
            "This instance has data already. Restore into an empty instance "
            "(a new CBPAR_INSTANCE_PATH or DATABASE_URL)."
        )
    if engine.dialect.name == "postgresql":
        return _restore_postgres(engine, backup_file)
    target_path = _sqlite_path(engine)
    try:
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        problem = source.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup_file} is not an SQLite database backup.") from exc
    if problem != "ok":
        source.close()
        raise BackupError(f"The backup failed its integrity check: {problem}")
    engine.dispose()
    target = sqlite3.connect(target_path)
    try:
        source.backup(target, pages=-1)
    finally:
        target.close()
        source.close()
    return f"Restored {backup_file} into {target_path}."


def _restore_postgres(engine: Engine, backup_file: Path) -> str:
    program = shutil.which("pg_restore")
    if program is None:
        raise BackupError("pg_restore is not installed; install the PostgreSQL client tools.")
    result = subprocess.run(
        [
            program,
            "--no-owner",
            "--clean",
            "--if-exists",
            f"--dbname={_pg_url(engine)}",
            str(backup_file),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    return f"Restored {backup_file} with pg_restore."
