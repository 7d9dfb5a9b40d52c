"""A whole project as a zip: one JSON file per table, the attachments, and the schema revision.

Which rows belong to a project is worked out from the schema, not listed by hand, so tables
added by later features are included without a change here: a table with a `project_id`
column contributes the rows of that project; a table without one contributes the rows whose
foreign key points at a row already included (memo revisions, ballots, attendance ...).
Users are not project records: the archive keeps only the ones referenced, without
passwords or tokens, and an import matches them by user name.

On import, ids are kept when the target tables have none of them (an empty instance: the
project comes back exactly); otherwise every id is shifted past the table's largest, and
foreign keys and typed references (`target_type`/`target_id`, `source_type`/`source_id`)
are shifted with them.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import shutil
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Table, func, select
from sqlalchemy import types as sqltypes

from cbpar import audit, migrate
from cbpar.db import Base, UTCDateTime, db

FORMAT = "cbpar-project-archive"
FORMAT_VERSION = 1
USER_COLUMNS = ("id", "username", "display_name", "locale")
SKIPPED_TABLES = {"user", "alembic_version"}


class ArchiveError(Exception):
    """The archive cannot be imported here (the message says why, for the user)."""


# --- which rows belong to a project ----------------------------------------------------------


def project_tables() -> list[tuple[Table, list[Column]]]:
    """Tables holding project records, parents first, each with its way into the project."""
    owned: set[str] = {"project"}
    result = []
    for table in Base.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        if table.name == "project":
            result.append((table, [table.c.id]))
            continue
        if "project_id" in table.c:
            owned.add(table.name)
            result.append((table, [table.c.project_id]))
            continue
        parents = [
            fk.parent
            for fk in table.foreign_keys
            if fk.column.table.name in owned and fk.column.table.name != table.name
        ]
        if parents:
            owned.add(table.name)
            result.append((table, parents))
    return result


def project_rows(project_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every project table, as stored (typed values), in id order."""
    included: dict[str, set[Any]] = {}
    rows_by_table: dict[str, list[dict[str, Any]]] = {}
    connection = db.session.connection()
    for table, ways in project_tables():
        if table.name == "project" or "project_id" in table.c:
            column = table.c.id if table.name == "project" else table.c.project_id
            condition = column == project_id
        else:
            conditions = []
            for parent in ways:
                fk = next(iter(parent.foreign_keys))
                keys = included.get(fk.column.table.name, set())
                if keys:
                    conditions.append(parent.in_(sorted(keys)))
            if not conditions:
                rows_by_table[table.name] = []
                continue
            from sqlalchemy import or_

            condition = or_(*conditions)
        order = list(table.primary_key.columns) or list(table.c)
        rows = [
            dict(r._mapping)
            for r in connection.execute(select(table).where(condition).order_by(*order))
        ]
        rows_by_table[table.name] = rows
        if "id" in table.c:
            included[table.name] = {r["id"] for r in rows}
    return rows_by_table


def referenced_users(rows_by_table: dict[str, list[dict[str, Any]]]) -> set[int]:
    ids: set[int] = set()
    for table, _ways in project_tables():
        for column in table.c:
            for fk in column.foreign_keys:
                if fk.column.table.name == "user":
                    ids.update(
                        r[column.name] for r in rows_by_table.get(table.name, []) if r[column.name]
                    )
    return ids


# --- values to and from JSON -----------------------------------------------------------------


def to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _converter(column: Column) -> Any:
    kind = column.type
    if isinstance(kind, UTCDateTime | sqltypes.DateTime):
        return datetime.fromisoformat
    if isinstance(kind, sqltypes.Date):
        return date.fromisoformat
    if isinstance(kind, sqltypes.Numeric) and not isinstance(kind, sqltypes.Float):
        return Decimal
    if isinstance(kind, sqltypes.LargeBinary):
        return base64.b64decode
    return None


def from_json(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in row.items():
        convert = _converter(table.c[name])
        out[name] = convert(value) if convert is not None and value is not None else value
    return out


def serialise(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: to_json(v) for k, v in row.items()} for row in rows]


def schema_revision() -> str | None:
    """migrate.current(), read on the session's connection (a second one would wait for the
    write lock this transaction may hold on SQLite)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(db.session.connection()).get_current_revision()


# --- export ----------------------------------------------------------------------------------


def build(project: Any) -> tuple[bytes, dict[str, int]]:
    """The archive's bytes and the number of rows per table."""
    from cbpar.attachments import services as attachments
    from cbpar.auth.models import User

    revision = schema_revision()
    rows_by_table = project_rows(project.id)
    user_ids = referenced_users(rows_by_table)
    users = []
    if user_ids:
        columns = [getattr(User, c) for c in USER_COLUMNS]
        result = db.session.execute(select(*columns).where(User.id.in_(sorted(user_ids))))
        users = [dict(zip(USER_COLUMNS, r, strict=True)) for r in result]
    counts = {name: len(rows) for name, rows in rows_by_table.items()}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": revision,
        "project": {"id": project.id, "slug": project.slug},
        "tables": {name: counts[name] for name in rows_by_table},
        "columns": {t.name: [c.name for c in t.c] for t, _w in project_tables()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        archive.writestr("users.json", json.dumps(users, ensure_ascii=False))
        for name, rows in rows_by_table.items():
            archive.writestr(f"tables/{name}.json", json.dumps(serialise(rows), ensure_ascii=False))
        folder = attachments.folder(project.id)
        for row in rows_by_table.get("attachment", []):
            path = folder / row["stored_name"]
            if path.is_file():
                archive.write(path, f"attachments/{row['stored_name']}")
    return buffer.getvalue(), counts


def export_project(project: Any, output: Path, by: Any = None) -> dict[str, int]:
    data, counts = build(project)
    audit.record(
        "export",
        project=project,
        actor=by,
        details={"what": "project", "format": "zip", "rows": sum(counts.values())},
    )
    db.session.flush()
    output.write_bytes(data)
    return counts


# --- import ----------------------------------------------------------------------------------


def _check_revision(revision: str | None) -> None:
    if revision is None:
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        known = script.get_revision(revision)
    except Exception:
        known = None
    if known is None:
        raise ArchiveError(
            f"This archive comes from a newer or unknown version of the database schema "
            f"(revision {revision}). Upgrade this installation first, then import it again."
        )


def read_archive(source: Path | bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError("Not a project archive (not a zip file).") from exc


def import_project(source: Path | bytes, slug: str | None = None, by: Any = None) -> Any:
    """Add the archived project to this instance; the caller commits."""
    from cbpar.attachments import services as attachments
    from cbpar.auth.models import User
    from cbpar.links import REGISTRY
    from cbpar.projects.models import Project

    archive = read_archive(source)
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise ArchiveError("Not a project archive (no manifest).") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version", 0) > FORMAT_VERSION:
        raise ArchiveError("Not a project archive this version can read.")
    _check_revision(manifest.get("schema_revision"))
    tables = {t.name: t for t, _w in project_tables()}
    for name, names in manifest["columns"].items():
        if name not in tables:
            raise ArchiveError(f"The archive has records of an unknown kind ({name}).")
        unknown = set(names) - set(tables[name].c.keys())
        if unknown:
            raise ArchiveError(
                f"The archive's {name} records have fields this schema lacks: "
                f"{', '.join(sorted(unknown))}. Upgrade this installation first."
            )
    new_slug = slug or manifest["project"]["slug"]
    if db.session.scalar(select(Project.id).where(Project.slug == new_slug)) is not None:
        raise ArchiveError(f"A project with slug {new_slug!r} exists; choose another (--slug).")

    connection = db.session.connection()
    # Users: matched by name, created (with no password: they cannot log in) when missing.
    user_map: dict[int, int] = {}
    for user in json.loads(archive.read("users.json")):
        existing = db.session.scalar(select(User).where(User.username == user["username"]))
        if existing is None:
            existing = User(
                username=user["username"],
                display_name=user["display_name"] or "",
                locale=user.get("locale"),
            )
            if db.session.get(User, user["id"]) is None:
                existing.id = user["id"]  # keep the id when it is free (an empty instance)
            db.session.add(existing)
            db.session.flush()
        user_map[user["id"]] = existing.id

    data = {name: json.loads(archive.read(f"tables/{name}.json")) for name in manifest["columns"]}
    offsets: dict[str, int] = {}
    for name, table in tables.items():
        if "id" not in table.c or not table.c.id.primary_key:
            offsets[name] = 0
            continue
        ids = [r["id"] for r in data.get(name, [])]
        clash = (
            ids
            and connection.execute(
                select(func.count()).select_from(table).where(table.c.id.in_(ids))
            ).scalar()
        )
        offsets[name] = (
            (connection.execute(select(func.max(table.c.id))).scalar() or 0) if clash else 0
        )
    type_tables = {name: rt.model.__tablename__ for name, rt in REGISTRY.items()}

    def shift(table_name: str, value: Any) -> Any:
        return value + offsets.get(table_name, 0) if value is not None else None

    renamed_files: dict[str, str] = {}
    for name, table in tables.items():
        rows = []
        for raw in data.get(name, []):
            row = from_json(table, raw)
            if "id" in row and table.c.id.primary_key:
                row["id"] = shift(name, row["id"])
            for column in table.c:
                if column.name not in row:
                    continue
                for fk in column.foreign_keys:
                    target = fk.column.table.name
                    if target == "user":
                        row[column.name] = user_map.get(row[column.name])
                    else:
                        row[column.name] = shift(target, row[column.name])
                if column.name.endswith("_type") and column.name[:-5] + "_id" in row:
                    id_name = column.name[:-5] + "_id"
                    kind = row[column.name] or ""
                    target_table = type_tables.get(kind) or (kind if kind in tables else None)
                    if target_table and not table.c[id_name].foreign_keys:
                        row[id_name] = shift(target_table, row[id_name])
            if name == "project":
                row["slug"] = new_slug
            if name == "attachment":
                stored = row["stored_name"]
                taken = connection.execute(
                    select(table.c.id).where(table.c.stored_name == stored)
                ).first()
                if taken is not None:
                    renamed = secrets.token_hex(16) + Path(stored).suffix
                    renamed_files[stored] = renamed
                    row["stored_name"] = renamed
            rows.append(row)
        if rows:
            connection.execute(table.insert(), rows)
    project_id = shift("project", manifest["project"]["id"])
    _sync_sequences(tables)

    folder = attachments.folder(project_id)
    for info in archive.infolist():
        if info.filename.startswith("attachments/") and not info.is_dir():
            stored = info.filename.split("/", 1)[1]
            name = renamed_files.get(stored, stored)
            if not attachments.STORED_NAME.match(name):
                continue
            folder.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(folder / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
    project = db.session.get(Project, project_id)
    audit.record(
        "project_imported",
        project=project,
        actor=by,
        details={"rows": sum(len(v) for v in data.values())},
    )
    db.session.flush()
    return project


def _sync_sequences(tables: dict[str, Table]) -> None:
    """On PostgreSQL, explicit ids leave sequences behind; move them past the largest id."""
    if db.engine.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for name, table in tables.items():
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{name}"), 1))'
                )
            )
