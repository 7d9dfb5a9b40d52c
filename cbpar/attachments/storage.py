"""Where attachment bytes live: CBPAR_ATTACHMENT_STORAGE = "folder" (default) or "database".

- folder: `instance/uploads/<project id>/<stored name>`, for one laptop or one app server.
- database: one `attachment_blob` row per file (bytea on PostgreSQL, BLOB on SQLite), for
  several app servers; the database's backup then holds the files too.

Everything that writes, reads or deletes attachment bytes (upload, download, deletion and
erasure, project archives) goes through `current()`. A file is named by its attachment: any
object with `id`, `project_id` and `stored_name` (an `Attachment`, or an archive row).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Protocol

from flask import current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from cbpar.attachments.models import AttachmentBlob
from cbpar.db import db

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|gif|webp|pdf|wav|ogg|webm|amr|awb|mp3|aac|m4a)$")
KINDS = ("folder", "database")


class Storage(Protocol):
    def save(self, ref: Any, chunks: Iterable[bytes]) -> None:
        """Store a new file (never replaces one)."""

    def open(self, ref: Any) -> IO[bytes] | None:
        """The file for reading, or None when it is missing."""

    def exists(self, ref: Any) -> bool: ...

    def delete(self, ref: Any) -> None:
        """Remove the file; a missing one is not an error."""

    def discard(self, ref: Any) -> None:
        """Undo a `save` whose transaction is rolled back (folder files outlive it)."""

    def where(self) -> str:
        """For operators: where the files are."""


_DELETE_AFTER_COMMIT = "cbpar_files_to_delete"


@event.listens_for(Session, "after_commit")
def _delete_committed(session: Session) -> None:
    for path in session.info.pop(_DELETE_AFTER_COMMIT, ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _keep_rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_DELETE_AFTER_COMMIT, None)


def folder_of(project_id: int) -> Path:
    return Path(current_app.instance_path, "uploads", str(int(project_id))).resolve()


class FolderStorage:
    def path(self, ref: Any) -> Path | None:
        """The file's path, only if its name is one we generate and it stays in its folder."""
        if not STORED_NAME.match(ref.stored_name or ""):
            return None
        base = folder_of(ref.project_id)
        path = (base / ref.stored_name).resolve()
        return path if path.parent == base else None

    def save(self, ref: Any, chunks: Iterable[bytes]) -> None:
        path = self.path(ref)
        if path is None:
            raise ValueError("not a stored name")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)  # ours (O_EXCL): no partial file is left behind
            raise

    def open(self, ref: Any) -> IO[bytes] | None:
        path = self.path(ref)
        if path is None or not path.is_file():
            return None
        return path.open("rb")

    def exists(self, ref: Any) -> bool:
        path = self.path(ref)
        return path is not None and path.is_file()

    def delete(self, ref: Any) -> None:
        """The file goes once the transaction commits: a rolled-back deletion or erasure
        keeps it, as it keeps the attachment's row."""
        path = self.path(ref)
        if path is not None:
            db.session.connection()  # tie the deletion to this transaction's commit or rollback
            db.session.info.setdefault(_DELETE_AFTER_COMMIT, []).append(path)

    def discard(self, ref: Any) -> None:
        path = self.path(ref)
        if path is not None:
            path.unlink(missing_ok=True)

    def where(self) -> str:
        return str(Path(current_app.instance_path, "uploads"))


class DatabaseStorage:
    """Rows of `attachment_blob`, in the request's transaction (a rollback removes them)."""

    def save(self, ref: Any, chunks: Iterable[bytes]) -> None:
        db.session.add(AttachmentBlob(attachment_id=ref.id, data=b"".join(chunks)))
        db.session.flush()

    def open(self, ref: Any) -> IO[bytes] | None:
        data = db.session.scalar(
            select(AttachmentBlob.data).where(AttachmentBlob.attachment_id == ref.id)
        )
        return None if data is None else io.BytesIO(data)

    def exists(self, ref: Any) -> bool:
        found = db.session.scalar(
            select(AttachmentBlob.attachment_id).where(AttachmentBlob.attachment_id == ref.id)
        )
        return found is not None

    def delete(self, ref: Any) -> None:
        db.session.execute(delete(AttachmentBlob).where(AttachmentBlob.attachment_id == ref.id))

    def discard(self, ref: Any) -> None:
        """Nothing to do: the rolled-back transaction took the row with it."""

    def where(self) -> str:
        return "the database (table attachment_blob)"


def kind() -> str:
    value = str(current_app.config.get("ATTACHMENT_STORAGE") or "folder").strip().lower()
    if value not in KINDS:
        raise RuntimeError(
            f"CBPAR_ATTACHMENT_STORAGE must be one of {', '.join(KINDS)}, not {value!r}."
        )
    return value


def current() -> FolderStorage | DatabaseStorage:
    return DatabaseStorage() if kind() == "database" else FolderStorage()


def read(ref: Any) -> bytes | None:
    fh = current().open(ref)
    if fh is None:
        return None
    with fh:
        return fh.read()
