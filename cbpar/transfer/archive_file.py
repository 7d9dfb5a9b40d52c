"""Step 1 of importing a project archive (see archive_import): the opened file, whose sizes
passed the checks (safezip) and whose manifest is of a known format and schema; and the
`Plan`, what importing it would do, shown before anything is written."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from cbpar import migrate
from cbpar.transfer import safezip
from cbpar.transfer.archive import FORMAT, READABLE_VERSIONS, ArchiveError
from cbpar.transfer.archive_rows import refuse, row_name

REFUSED = "Refused (nothing was imported)"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(data: str | bytes) -> Any:
    return json.loads(data, parse_constant=_no_constants)


class ArchiveFile:
    """An opened archive whose sizes passed the checks, with its manifest."""

    def __init__(self, source: Path | bytes) -> None:
        self.limits = safezip.configured()
        try:
            self.zip = safezip.open_zip(source)
            safezip.check_declared(self.zip, self.limits)
        except safezip.NotAZip as exc:
            raise ArchiveError("Not a project archive (not a zip file).") from exc
        except safezip.ZipLimitError as exc:
            raise ArchiveError(f"{REFUSED}: {exc}.") from exc
        self.entries = {info.filename: info for info in self.zip.infolist()}
        try:
            manifest = _loads(self.read("manifest.json"))
        except (KeyError, ValueError) as exc:
            raise ArchiveError("Not a project archive (no manifest).") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError("Not a project archive (no manifest).")
        if manifest.get("format_version") not in READABLE_VERSIONS:
            raise ArchiveError("Not a project archive this version can read.")
        project = manifest.get("project")
        columns = manifest.get("columns")
        if (
            not isinstance(project, dict)
            or not isinstance(project.get("id"), int)
            or not isinstance(project.get("slug"), str)
            or not isinstance(columns, dict)
            or not all(
                isinstance(v, list) and all(isinstance(c, str) for c in v) for v in columns.values()
            )
        ):
            raise ArchiveError("Not a project archive this version can read (bad manifest).")
        self.manifest = manifest
        self.version: int = manifest["format_version"]
        self.project_id: int = project["id"]

    def read(self, name: str) -> bytes:
        """A whole entry (each is at most MAX_ATTACHMENT_BYTES), or KeyError."""
        info = self.entries[name]
        try:
            return safezip.Meter(self.limits).read(self.zip, info)
        except safezip.ZipLimitError as exc:
            raise ArchiveError(f"{REFUSED}: {exc}.") from exc

    def rows(self, table: str) -> Iterator[tuple[int, Any]]:
        """(line, row) of one table, streamed: format 2 reads JSON Lines chunk by chunk."""
        if self.version == 1:
            yield from self._rows_v1(table)
            return
        prefix = f"tables/{table}/"
        names = sorted(n for n in self.entries if n.startswith(prefix) and n.endswith(".jsonl"))
        line = 0
        for name in names:
            stream = io.TextIOWrapper(
                safezip.Meter(self.limits).open(self.zip, self.entries[name]), encoding="utf-8"
            )
            try:
                for text_line in stream:
                    line += 1
                    if text_line.strip():
                        yield line, _loads(text_line)
            except safezip.ZipLimitError as exc:
                raise ArchiveError(f"{REFUSED}: {exc}.") from exc
            except ValueError as exc:  # JSON or UTF-8
                raise refuse(table, f"#{line}", f"not readable JSON ({exc})") from exc

    def _rows_v1(self, table: str) -> Iterator[tuple[int, Any]]:
        name = f"tables/{table}.json"
        if name not in self.entries:
            return
        try:
            rows = _loads(self.read(name))
        except ValueError as exc:
            raise refuse(table, "#1", f"not readable JSON ({exc})") from exc
        if not isinstance(rows, list):
            raise refuse(table, "#1", "not a list of rows")
        yield from enumerate(rows, start=1)

    def users(self) -> list[dict[str, Any]]:
        try:
            users = _loads(self.read("users.json")) if "users.json" in self.entries else []
        except ValueError as exc:
            raise ArchiveError(f"{REFUSED}: users.json is not readable JSON.") from exc
        if not isinstance(users, list):
            raise ArchiveError(f"{REFUSED}: users.json is not a list.")
        seen_ids: set[int] = set()
        seen_names: set[str] = set()
        for number, user in enumerate(users, start=1):
            problem = _user_problem(user)
            if problem is None and (user["id"] in seen_ids or user["username"] in seen_names):
                problem = "listed twice"
            if problem:
                raise refuse("user", row_name(user, number), problem)
            seen_ids.add(user["id"])
            seen_names.add(user["username"])
        return users

    def attachment(self, stored_name: str) -> zipfile.ZipInfo | None:
        return self.entries.get(f"attachments/{stored_name}")

    def stream(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        try:
            yield from safezip.Meter(self.limits).stream(self.zip, info)
        except safezip.ZipLimitError as exc:
            raise ArchiveError(f"{REFUSED}: {exc}.") from exc


def _user_problem(user: Any) -> str | None:
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        return "not an account with an id"
    name = user.get("username")
    if not isinstance(name, str) or not 1 <= len(name) <= 64:
        return "its user name is missing or too long"
    if any(unicodedata.category(ch)[0] in "CZ" for ch in name):
        return "its user name has spaces or control characters"
    display = user.get("display_name")
    if display is not None and (not isinstance(display, str) or len(display) > 120):
        return "its display name is not text of at most 120 characters"
    locale = user.get("locale")
    if locale is not None and (not isinstance(locale, str) or len(locale) > 16):
        return "its locale is not valid"
    return None


def check_revision(revision: Any) -> None:
    if revision is None:
        return

    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        known = script.get_revision(str(revision))
    except Exception:
        known = None
    if known is None:
        raise ArchiveError(
            f"This archive comes from a newer or unknown version of the database schema "
            f"(revision {revision}). Upgrade this installation first, then import it again."
        )


# --- the plan shown before importing -------------------------------------------------------------


@dataclass
class Account:
    archive_id: int
    username: str
    display_name: str
    locale: str | None
    local_id: int | None  # None: a new account, without a password


@dataclass
class Plan:
    archive_slug: str
    slug: str
    format_version: int
    counts: dict[str, int] = field(default_factory=dict)  # rows to write per table
    accounts: list[Account] = field(default_factory=list)
    members: list[tuple[Account, str]] | None = None  # (account, role); None: not imported
    members_in_archive: int = 0
    left_out: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"Archive of project {self.archive_slug!r} (format {self.format_version}) "
            f"-> new project {self.slug!r}: {sum(self.counts.values()):,} records "
            f"in {sum(1 for n in self.counts.values() if n)} tables."
        ]
        if self.accounts:
            out.append("Accounts the records refer to (matched by user name):")
            for account in self.accounts:
                out.append(f"  {account.username:<24} -> {_account_text(account)}")
        if self.members is None:
            if self.members_in_archive:
                out.append(
                    f"Memberships: {self.members_in_archive} in the archive, NOT imported "
                    "(pass --with-members to give these accounts their roles)."
                )
        elif self.members:
            out.append("Memberships to add (--with-members): these accounts get these roles:")
            for account, role in self.members:
                out.append(f"  {account.username:<24} {role:<14} ({_account_text(account)})")
        else:
            out.append("Memberships: none in the archive.")
        out.append(
            "Rebuilt, not copied: memo and comment HTML (from their Markdown), the count of "
            "every closed vote round (from its ballots), attachment types and sizes."
        )
        out += [f"Left out: {note}" for note in self.left_out]
        return out


def _account_text(account: Account) -> str:
    if account.local_id is None:
        return "new account without a password (cannot log in until given one)"
    return f"existing local account id {account.local_id}"


@dataclass
class AttachmentFile:
    info: zipfile.ZipInfo
    content_type: str
    ext: str
    size: int
