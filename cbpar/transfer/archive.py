"""A whole project as a zip: the rows of every project table, the attachments, the schema revision.

Which rows belong to a project is worked out from the schema, not listed by hand, so tables
added by later features are included without a change here: a table with a `project_id`
column contributes the rows of that project; a table without one contributes the rows whose
foreign key points at a row already included (memo revisions, ballots, attendance ...).
Users are not project records: the archive keeps only the ones referenced, without
passwords or tokens, and an import matches them by user name.

A table declared with `info={"archive": False}` is not a project record (what is waiting to be
sent, a group chat's secret webhook) and is left out, with the tables that hang from it.

Never in an archive: secrets (columns named like `*_hash`, `*token*`, `*secret*`, a ballot's
`voter_key`; a table whose secret column is required, such as transparency links, is left
out whole) and the ballots of rounds still open (they are counted only after the close; the
manifest lists those rounds under `withheld`).

Format 2 (this version writes it; format 1 is still read): `manifest.json`, `users.json`,
`tables/<table>/<n>.jsonl` (one JSON object per line, in chunks of a few MB so that no entry
is larger than an attachment), `attachments/<stored name>`. Importing is in archive_import.py.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Table, or_, select

from cbpar import audit
from cbpar.attachments import services as attachments
from cbpar.auth.models import User
from cbpar.db import Base, db
from cbpar.needs import vote_rounds

FORMAT = "cbpar-project-archive"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
USER_COLUMNS = ("id", "username", "display_name", "locale")
# Invitations are one-time secrets of this instance, never copied into an archive.
# attachment_blob holds the files under database storage: they go in as attachments/<name>.
SKIPPED_TABLES = {"user", "alembic_version", "invitation", "attachment_blob"}
SECRET_NAMES = {"voter_key", "password_hash", "session_version", "secret"}
CHUNK_BYTES = 4 * 1024 * 1024


class ArchiveError(Exception):
    """The archive cannot be imported here (the message says why, for the user)."""


# --- which rows belong to a project ----------------------------------------------------------


def project_tables() -> list[tuple[Table, list[Column]]]:
    """Tables holding project records, parents first, each with its way into the project."""
    owned: set[str] = {"project"}
    result = []
    for table in Base.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES or table.info.get("archive") is False:
            continue  # e.g. delivery state (outbox, group-chat webhooks): not project records
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


def is_secret(column: Column) -> bool:
    """Hashes, tokens, secrets and voter keys: never exported, never imported."""
    name = column.name
    return name in SECRET_NAMES or name.endswith("_hash") or "token" in name or "secret" in name


def secret_columns(table: Table) -> list[str]:
    return [c.name for c in table.c if is_secret(c)]


def withheld_table(table: Table) -> bool:
    """A table whose rows are worthless without a secret (a transparency link's token)."""
    return any(is_secret(c) and not c.nullable for c in table.c)


def open_round_ids(rounds: Iterable[dict[str, Any]]) -> set[int]:
    """Rounds not closed yet (scheduled or open): their ballots stay out of every export."""

    return {r["id"] for r in rounds if vote_rounds.state(SimpleNamespace(**r)) != "closed"}


def project_rows(project_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every project table, as stored (typed values), in id order; the ballots
    of rounds still open are left out."""
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
            condition = or_(*conditions)
        order = list(table.primary_key.columns) or list(table.c)
        rows = [
            dict(r._mapping)
            for r in connection.execute(select(table).where(condition).order_by(*order))
        ]
        if table.name == "ballot":
            still_open = open_round_ids(rows_by_table.get("vote_round", []))
            rows = [r for r in rows if r["round_id"] not in still_open]
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


def serialise(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: to_json(v) for k, v in row.items()} for row in rows]


def schema_revision() -> str | None:
    """migrate.current(), read on the session's connection (a second one would wait for the
    write lock this transaction may hold on SQLite)."""
    return MigrationContext.configure(db.session.connection()).get_current_revision()


# --- export ----------------------------------------------------------------------------------


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterable[bytes]:
    """JSON Lines, cut into pieces of about `size` bytes (a row is never split)."""
    part: list[bytes] = []
    length = 0
    for row in rows:
        line = json.dumps({k: to_json(v) for k, v in row.items()}, ensure_ascii=False) + "\n"
        data = line.encode()
        if part and length + len(data) > size:
            yield b"".join(part)
            part, length = [], 0
        part.append(data)
        length += len(data)
    if part:
        yield b"".join(part)


def build_archive(project: Any) -> tuple[bytes, dict[str, Any]]:
    """The archive's bytes and its manifest (row counts in `tables`, what was left out in
    `withheld`)."""
    revision = schema_revision()
    rows_by_table = project_rows(project.id)
    tables = {t.name: t for t, _w in project_tables()}
    withheld: dict[str, Any] = {}
    # Ballots of rounds still open: project_rows left them out; say so, and which rounds.
    still_open = sorted(open_round_ids(rows_by_table.get("vote_round", [])))
    withheld["ballots_of_open_rounds"] = {
        "rounds": still_open,
        "reason": "ballots are counted and shown only after the round closes",
    }
    left_out = sorted(name for name, table in tables.items() if withheld_table(table))
    withheld["tables"] = {name: "holds a secret token" for name in left_out}
    withheld["columns"] = {
        name: secret_columns(table)
        for name, table in tables.items()
        if secret_columns(table) and name not in left_out
    }
    for name in left_out:
        rows_by_table.pop(name, None)
    for name, secret in withheld["columns"].items():
        for row in rows_by_table.get(name, []):
            for column in secret:
                row.pop(column, None)
    user_ids = referenced_users(rows_by_table)
    users = []
    if user_ids:
        columns = [getattr(User, c) for c in USER_COLUMNS]
        result = db.session.execute(select(*columns).where(User.id.in_(sorted(user_ids))))
        users = [dict(zip(USER_COLUMNS, r, strict=True)) for r in result]
    counts = {name: len(rows) for name, rows in rows_by_table.items()}
    chunk = max(64 * 1024, min(CHUNK_BYTES, attachments.max_bytes() // 2))
    buffer = io.BytesIO()
    files: dict[str, list[str]] = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.json", json.dumps(users, ensure_ascii=False))
        for name, rows in rows_by_table.items():
            files[name] = []
            for number, body in enumerate(_chunks(rows, chunk), start=1):
                entry = f"tables/{name}/{number:05d}.jsonl"
                archive.writestr(entry, body)
                files[name].append(entry)
        for row in rows_by_table.get("attachment", []):
            data = attachments.read_bytes(SimpleNamespace(**row))  # from the configured storage
            if data is not None:
                archive.writestr(f"attachments/{row['stored_name']}", data)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": revision,
            "project": {"id": project.id, "slug": project.slug},
            "tables": counts,
            "columns": {
                name: [
                    c.name
                    for c in tables[name].c
                    if c.name not in withheld["columns"].get(name, [])
                ]
                for name in rows_by_table
            },
            "files": files,
            "withheld": withheld,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
    return buffer.getvalue(), manifest


def build(project: Any) -> tuple[bytes, dict[str, int]]:
    """The archive's bytes and the number of rows per table."""
    data, manifest = build_archive(project)
    return data, manifest["tables"]


def withheld_note(manifest: dict[str, Any]) -> str:
    """One line for the operator: what the archive leaves out (empty if nothing notable)."""
    rounds = manifest.get("withheld", {}).get("ballots_of_open_rounds", {}).get("rounds", [])
    if not rounds:
        return ""
    return (
        f"Left out: the ballots of {len(rounds)} vote round(s) still open "
        f"(ballots leave the instance only after a round closes)."
    )


def export_project(project: Any, output: Path, by: Any = None) -> dict[str, Any]:
    """Write the archive to `output`; its manifest."""
    data, manifest = build_archive(project)
    audit.record(
        "export",
        project=project,
        actor=by,
        details={"what": "project", "format": "zip", "rows": sum(manifest["tables"].values())},
    )
    db.session.flush()
    output.write_bytes(data)
    return manifest


# --- import (archive_import.py) ----------------------------------------------------------------


def import_project(
    source: Path | bytes, slug: str | None = None, by: Any = None, *, with_members: bool = False
) -> Any:
    """Add the archived project to this instance; the caller commits. See archive_import."""
    # import here: archive_import uses this module's format and errors
    from cbpar.transfer import archive_import

    return archive_import.import_project(source, slug=slug, by=by, with_members=with_members)
