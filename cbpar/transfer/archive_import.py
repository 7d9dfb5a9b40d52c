"""Importing a project archive, in named steps. Nothing in the archive is trusted.

1. `ArchiveFile` (in archive_file.py): the zip passes the size checks (safezip: every entry's
   declared and real size, the total, the compression ratio); the manifest's format and
   schema are known.
2. `survey`: every table is read once (streamed, line by line) for its ids; the users the
   rows refer to; each round's options and whether it is closed.
3. `check`: every row is converted as it will be written (archive_rows): a project reference
   other than the archive's project, a foreign key to a row not in the archive, a value of
   the wrong type refuses the whole archive, naming the table and row. Attachments are read
   and typed by content. The result is a `Plan` (accounts matched by user name, memberships
   and their roles with `with_members`, what is left out), shown before anything is written.
4. `apply`: new ids are allocated per table (kept when all are free, e.g. an empty instance),
   rows are written through the same conversion, derived data is rebuilt (HTML from Markdown,
   each closed round's count from its ballots), and the attachments are copied.

The caller commits, or rolls back and calls `discard_files()`.
"""

from __future__ import annotations

import re
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.exc import DBAPIError

from cbpar import audit, links
from cbpar.attachments import services as attachments
from cbpar.attachments import storage
from cbpar.attachments.models import Attachment
from cbpar.auth.models import User
from cbpar.db import db
from cbpar.meetings.models import Meeting, new_calendar_uid
from cbpar.needs import vote_rounds
from cbpar.needs.models import VoteRound
from cbpar.projects.forms import SLUG_RE
from cbpar.projects.models import Project
from cbpar.transfer.archive import (
    ArchiveError,
    open_round_ids,
    project_tables,
    secret_columns,
    withheld_table,
)
from cbpar.transfer.archive_file import (
    REFUSED,
    Account,
    ArchiveFile,
    AttachmentFile,
    Plan,
    check_revision,
)
from cbpar.transfer.archive_rows import Converter, Ids, RowProblem, refuse, row_name, value_of

BATCH = 500


# --- 2. survey, 3. check ---------------------------------------------------------------------


class Importer:
    """One archive on its way in: `prepare()` surveys and checks, `apply()` writes."""

    def __init__(self, source: Path | bytes, slug: str | None, with_members: bool) -> None:
        self.file = ArchiveFile(source)
        self.with_members = with_members
        manifest = self.file.manifest
        check_revision(manifest.get("schema_revision"))
        self.tables = {t.name: t for t, _w in project_tables()}
        for name, names in manifest["columns"].items():
            if name not in self.tables:
                raise ArchiveError(f"The archive has records of an unknown kind ({name}).")
            unknown = set(names) - set(self.tables[name].c.keys())
            if unknown:
                raise ArchiveError(
                    f"The archive's {name} records have fields this schema lacks: "
                    f"{', '.join(sorted(unknown))}. Upgrade this installation first."
                )
        self.plan = Plan(
            archive_slug=manifest["project"]["slug"],
            slug=slug or manifest["project"]["slug"],
            format_version=self.file.version,
        )
        self.ids = Ids(
            project_id=self.file.project_id,
            record_kinds={k: rt.model.__tablename__ for k, rt in links.record_types().items()},
            table_kinds={name: name for name in self.tables} | {"user": "user"},
        )
        self.order: list[Table] = []  # the tables to write, parents first
        self.columns: dict[str, list[str]] = {}
        self.files: dict[str, AttachmentFile] = {}  # archive stored name -> its file
        self.written: list[Any] = []  # attachments whose files this import stored
        self.open_rounds: set[int] = set()
        # Filled while writing: the new project's upload folder, rounds to recount, files.
        self.folder = Path()
        self.recount: list[int] = []
        self.pending_files: list[tuple[zipfile.ZipInfo, Any]] = []

    # -- which tables, which columns

    def _choose_tables(self) -> None:
        manifest = self.file.manifest
        for name, table in self.tables.items():
            if name not in manifest["columns"]:
                continue
            if withheld_table(table):
                self.plan.left_out.append(f"{name} records (they hold secret tokens).")
                continue
            if name == "membership" and not self.with_members:
                continue
            secret = set(secret_columns(table))
            self.columns[name] = [c for c in manifest["columns"][name] if c not in secret]
            self.order.append(table)

    # -- pass 1

    def survey(self) -> None:
        slug = self.plan.slug
        if not re.match(SLUG_RE, slug):
            raise ArchiveError(f"{slug!r} is not a valid project slug (choose one with --slug).")
        if db.session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
            raise ArchiveError(f"A project with slug {slug!r} exists; choose another (--slug).")
        self._choose_tables()
        ids = self.ids
        referenced_users: set[int] = set()
        rounds: list[dict[str, Any]] = []
        for table in self.order:
            name = table.name
            keyed = "id" in table.c and table.c.id.primary_key
            user_columns = [
                c.name
                for c in table.c
                if any(fk.column.table.name == "user" for fk in c.foreign_keys)
            ]
            seen: set[int] = set()
            for line, raw in self.file.rows(name):
                if not isinstance(raw, dict):
                    raise refuse(name, f"#{line}", "not an object")
                if keyed:
                    key = raw.get("id")
                    if not isinstance(key, int) or isinstance(key, bool) or key < 1:
                        raise refuse(name, f"#{line}", "its id is not a positive whole number")
                    if key in seen:
                        raise refuse(name, f"id {key}", "its id appears twice")
                    seen.add(key)
                referenced_users.update(v for c in user_columns if isinstance(v := raw.get(c), int))
                if name == "vote_option":
                    ids.options.setdefault(raw.get("round_id"), set()).add(raw.get("need_id"))
                elif name == "vote_round":
                    rounds.append(self._round_times(table, raw))
            ids.archive[name] = seen if keyed else set()
        if ids.archive.get("project") != {ids.project_id}:
            raise ArchiveError(
                f"{REFUSED}: the archive must hold exactly one project, its own "
                f"(id {ids.project_id})."
            )
        self.open_rounds = open_round_ids(r for r in rounds if r is not None)
        listed = {u["id"]: u for u in self.file.users()}
        ids.users = referenced_users & set(listed)
        self._match_accounts([listed[i] for i in sorted(ids.users)])

    @staticmethod
    def _round_times(table: Table, raw: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return {
                "id": raw.get("id"),
                **{k: value_of(table.c[k], raw.get(k)) for k in ("opens_at", "closes_at")},
                "closed_at": value_of(table.c.closed_at, raw.get("closed_at")),
            }
        except (RowProblem, KeyError):
            return None  # the check pass names the problem

    def _match_accounts(self, users: list[dict[str, Any]]) -> None:
        for user in users:
            local = db.session.scalar(select(User.id).where(User.username == user["username"]))
            self.plan.accounts.append(
                Account(
                    archive_id=user["id"],
                    username=user["username"],
                    display_name=user.get("display_name") or "",
                    locale=user.get("locale"),
                    local_id=local,
                )
            )

    # -- pass 2 (and 3)

    def _keep(self, name: str, raw: dict[str, Any]) -> bool:
        """Ballots of a round not closed are never imported (their voters could vote again)."""
        return not (name == "ballot" and raw.get("round_id") in self.open_rounds)

    def converted(self, table: Table) -> Iterator[dict[str, Any]]:
        """The table's rows as they will be written (archive ids until `apply` maps them)."""
        converter = Converter(table, self.columns[table.name], self.ids)
        for line, raw in self.file.rows(table.name):
            if isinstance(raw, dict) and not self._keep(table.name, raw):
                continue
            row = converter.convert(raw, line)
            if table.name == "attachment":
                self._attachment(row, row_name(raw, line))
            yield row

    def check(self) -> None:
        accounts = {a.archive_id: a for a in self.plan.accounts}
        members: list[tuple[Account, str]] = []
        for table in self.order:
            count = 0
            for row in self.converted(table):
                count += 1
                if table.name == "membership":
                    members.append((accounts[row["user_id"]], str(row["role"])))
            self.plan.counts[table.name] = count
        if self.with_members:
            self.plan.members = members
        else:
            listed = self.file.manifest.get("tables")
            count = listed.get("membership") if isinstance(listed, dict) else 0
            self.plan.members_in_archive = count if isinstance(count, int) else 0
        skipped = self._skipped_ballots()
        if skipped:
            self.plan.left_out.append(
                f"{skipped} ballot(s) of rounds not closed (ballots are imported only for "
                "closed rounds)."
            )
        withheld = self.file.manifest.get("withheld")
        withheld = withheld if isinstance(withheld, dict) else {}
        rounds = withheld.get("ballots_of_open_rounds")
        if isinstance(rounds, dict) and isinstance(rounds.get("rounds"), list) and rounds["rounds"]:
            self.plan.left_out.append(
                f"the archive holds no ballots of {len(rounds['rounds'])} round(s) that were "
                "still open when it was made."
            )
        tables = withheld.get("tables")
        for name in sorted(tables) if isinstance(tables, dict) else []:
            if name not in self.file.manifest["columns"]:
                self.plan.left_out.append(f"{str(name)[:40]} records (not exported: secrets).")

    def _skipped_ballots(self) -> int:
        if "ballot" not in self.columns:
            return 0
        return sum(
            1
            for _line, raw in self.file.rows("ballot")
            if isinstance(raw, dict) and not self._keep("ballot", raw)
        )

    def _attachment(self, row: dict[str, Any], where: str) -> None:
        """The file must be in the archive, of an accepted type by its content, within the
        size limit; its type and size are taken from it, not from the row."""
        stored = row["stored_name"]
        info = self.file.attachment(stored) if attachments.STORED_NAME.match(stored) else None
        if info is None:
            raise refuse("attachment", where, "its file is not in the archive")
        known = self.files.get(stored)
        if known is None:
            head = b""
            size = 0
            for chunk in self.file.stream(info):
                if len(head) < 16:
                    head += chunk[:16]
                size += len(chunk)
            if size > attachments.max_bytes() or size == 0:
                raise refuse("attachment", where, "its file is empty or too large")
            detected = attachments.detect_type(head[:16])
            if detected is None:
                raise refuse("attachment", where, "its file is not an accepted type")
            known = AttachmentFile(info, detected[0], detected[1], size)
            self.files[stored] = known
        elif self.ids.new is None:
            raise refuse("attachment", where, "its file is used by another row")
        row["content_type"], row["size"] = known.content_type, known.size
        row["filename"] = attachments.clean_filename(row.get("filename") or "", known.ext)

    # -- 4. apply ------------------------------------------------------------------------------

    def apply(self, by: Any = None) -> Any:
        self._create_accounts()
        self.ids.new = {
            table.name: self._allocate(table)
            for table in self.order
            if "id" in table.c and table.c.id.primary_key
        }
        project_id = self.ids.new["project"][self.ids.project_id]
        self.folder = attachments.folder(project_id)
        connection = db.session.connection()
        for table in self.order:
            self._write_table(connection, table)
        self._recount(connection, self.recount)
        self._sync_sequences()
        self._copy_files(self.pending_files)
        project = db.session.get(Project, project_id)
        audit.record(
            "project_imported",
            project=project,
            actor=by,
            details={
                "rows": sum(self.plan.counts.values()),
                "with_members": self.with_members,
                "accounts_created": sum(1 for a in self.plan.accounts if a.local_id is None),
            },
        )
        db.session.flush()
        return project

    def _write_table(self, connection: Any, table: Table) -> None:
        """Insert one table's rows in batches. A nullable foreign key to the same table (a
        reply's parent) is set afterwards, so the order of rows in the archive cannot matter."""
        deferred = [
            c.name
            for c in table.c
            if c.nullable and any(fk.column.table.name == table.name for fk in c.foreign_keys)
        ]
        later: dict[str, list[dict[str, Any]]] = {name: [] for name in deferred}
        batch: list[dict[str, Any]] = []
        for row in self.converted(table):
            self._finish_row(table.name, row)
            for name in deferred:
                if row.get(name) is not None:
                    later[name].append({"_id": row["id"], "_value": row[name]})
                    row[name] = None
            batch.append(row)
            if len(batch) >= BATCH:
                self._run(connection, table, table.insert(), batch)
                batch = []
        if batch:
            self._run(connection, table, table.insert(), batch)
        for name, values in later.items():
            if values:
                statement = (
                    table.update()
                    .where(table.c.id == bindparam("_id"))
                    .values({name: bindparam("_value")})
                )
                self._run(connection, table, statement, values)

    def _finish_row(self, name: str, row: dict[str, Any]) -> None:
        """What only the writing pass does: the new slug, rounds to recount, file names."""
        if name == "project":
            row["slug"] = self.plan.slug
        elif name == "meeting" and row.get("ical_uid"):
            row["ical_uid"] = self._calendar_uid(row["ical_uid"])
        elif name == "vote_round" and row.get("closed_at") is not None:
            self.recount.append(row["id"])
        elif name == "attachment":
            source = row["stored_name"]
            row["stored_name"] = self._stored_name(source, self.folder)
            ref = SimpleNamespace(
                id=row["id"], project_id=row["project_id"], stored_name=row["stored_name"]
            )
            self.pending_files.append((self.files[source].info, ref))

    def _calendar_uid(self, uid: str) -> str:
        """Keep a meeting's calendar UID (subscribed calendars see the same event after a
        move to another server), unless this instance has it already (a copy of a project)."""
        taken = db.session.scalar(select(Meeting.id).where(Meeting.ical_uid == uid))
        return new_calendar_uid() if taken is not None else uid

    def _create_accounts(self) -> None:
        new_users: dict[int, int] = {}
        for account in self.plan.accounts:
            if account.local_id is None:
                user = User(
                    username=account.username,
                    display_name=account.display_name,
                    locale=account.locale,
                )
                if db.session.get(User, account.archive_id) is None:
                    user.id = account.archive_id  # keep the id when it is free (an empty instance)
                db.session.add(user)
                db.session.flush()
                new_users[account.archive_id] = user.id
            else:
                new_users[account.archive_id] = account.local_id
        self.ids.new_users = new_users

    def _allocate(self, table: Table) -> dict[int, int]:
        """Archive id -> new id: the same ids when none is taken, else fresh ones."""
        ids = sorted(self.ids.archive.get(table.name, ()))
        if not ids:
            return {}
        taken = any(
            db.session.execute(
                select(table.c.id).where(table.c.id.in_(ids[i : i + 1000])).limit(1)
            ).first()
            for i in range(0, len(ids), 1000)
        )
        if not taken:
            return {i: i for i in ids}
        if db.engine.dialect.name == "postgresql":
            fresh = list(
                db.session.scalars(
                    text(
                        "SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"t": f'"{table.name}"', "n": len(ids)},
                )
            )
        else:
            largest = select(table.c.id).order_by(table.c.id.desc()).limit(1)
            start = (db.session.scalar(largest) or 0) + 1
            fresh = list(range(start, start + len(ids)))
        return dict(zip(ids, fresh, strict=True))

    def _stored_name(self, archive_name: str, folder: Path) -> str:
        """The archive's name when it is free here, else a new random one (same extension)."""
        ext = self.files[archive_name].ext
        name = archive_name if archive_name.endswith(f".{ext}") else ""
        taken = bool(name) and (
            (folder / name).exists()
            or db.session.scalar(select(Attachment.id).where(Attachment.stored_name == name))
            is not None
        )
        if not name or taken:
            name = f"{secrets.token_hex(16)}.{ext}"
        return name

    @staticmethod
    def _run(connection: Any, table: Table, statement: Any, rows: list[dict[str, Any]]) -> None:
        try:
            connection.execute(statement, rows)
        except DBAPIError as exc:
            reason = str(exc.orig).splitlines()[0][:200] if exc.orig else "refused"
            raise ArchiveError(
                f"{REFUSED}: table {table.name}: the database refused the rows ({reason})."
            ) from exc

    def _recount(self, connection: Any, round_ids: list[int]) -> None:
        """A closed round's stored count is derived: count the imported ballots again."""
        table = VoteRound.__table__
        for round_id in round_ids:
            vote = db.session.get(VoteRound, round_id)
            try:
                result = vote_rounds.count(vote)
            except Exception as exc:
                raise ArchiveError(
                    f"{REFUSED}: table vote_round, row id {round_id}: its ballots cannot be "
                    f"counted ({exc})."
                ) from exc
            connection.execute(table.update().where(table.c.id == round_id).values(result=result))
            db.session.expire(vote)

    def _sync_sequences(self) -> None:
        """On PostgreSQL, ids written explicitly leave sequences behind; move each past its
        table's largest id (never backwards: GREATEST with the sequence's next value)."""
        if db.engine.dialect.name != "postgresql":
            return
        names = [t.name for t in self.order if "id" in t.c and t.c.id.autoincrement] + ["user"]
        for name in names:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'GREATEST(COALESCE((SELECT MAX(id) FROM "{name}"), 1), '
                    f"nextval(pg_get_serial_sequence('\"{name}\"', 'id'))))"
                )
            )

    def _copy_files(self, pending: list[tuple[zipfile.ZipInfo, Any]]) -> None:
        store = storage.current()  # the instance folder or the database, as configured
        for info, ref in pending:
            store.save(ref, self.file.stream(info))  # removes its partial file if it fails
            self.written.append(ref)

    def discard_files(self) -> None:
        """After a failure or a rollback: remove the files this import wrote."""
        store = storage.current()
        for ref in self.written:
            store.discard(ref)
        self.written = []


def prepare(source: Path | bytes, slug: str | None = None, with_members: bool = False) -> Importer:
    """Survey and check the whole archive; its `plan` says what `apply()` would write.
    Nothing is written (ArchiveError names the first problem)."""
    importer = Importer(source, slug, with_members)
    importer.survey()
    importer.check()
    return importer


def import_project(
    source: Path | bytes, slug: str | None = None, by: Any = None, *, with_members: bool = False
) -> Any:
    """Add the archived project to this instance; the caller commits (or rolls back)."""
    importer = prepare(source, slug, with_members)
    try:
        return importer.apply(by)
    except Exception:
        importer.discard_files()
        raise
