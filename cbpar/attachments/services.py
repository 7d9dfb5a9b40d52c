"""Attachments: type checked by content, stored under generated names, served after a check.

A feature makes its records take attachments with `register_target(app, name, can_view,
can_attach)` from its integration; both are functions of (membership, record), like every
object rule.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cbpar import audit, links, registry
from cbpar.attachments import storage
from cbpar.attachments.models import Attachment
from cbpar.db import db

STORED_NAME = storage.STORED_NAME


def no_audio(record: Any, content_type: str) -> str | None:
    """The default rule: sound recordings only where a feature says it takes them."""
    if is_audio(content_type):
        return _("Sound recordings can be attached to interviews only.")
    return None


@dataclass(frozen=True)
class Target:
    can_view: Callable[[Any, Any], bool]  # (membership, record)
    can_attach: Callable[[Any, Any], bool]  # (membership, record)
    # (record, detected MIME type) -> why this file is refused here (shown), or None
    refuses: Callable[[Any, str], str | None] = no_audio
    # (record, project slug) -> the page the attachment forms return to; None: the record's
    # link page (records whose link page is another feature's, e.g. contacts, name their own)
    back: Callable[[Any, str], str] | None = None


def targets(app: Flask | None = None) -> dict[str, Target]:
    """The record types that take attachments in this app, by name."""
    return registry.slot("attachment_targets", dict, app)


def register_target(
    app: Flask,
    name: str,
    can_view: Callable,
    can_attach: Callable,
    refuses: Callable[[Any, str], str | None] = no_audio,
    back: Callable[[Any, str], str] | None = None,
) -> None:
    targets(app)[name] = Target(can_view, can_attach, refuses, back)


class Refused(ValueError):
    """An upload that is not accepted; `too_large` tells the view to answer 413, `shown` is
    the reason to show when the record's own rule refused it (e.g. consent)."""

    def __init__(self, message: str, too_large: bool = False, shown: str | None = None) -> None:
        super().__init__(message)
        self.too_large = too_large
        self.shown = shown


def detect_type(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) from the file's first bytes, or None if not an accepted type."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    return detect_audio(head)


# Brands of an ISO media file (MP4) that phones write for sound alone (m4a, voice memos).
AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"isom", b"iso2", b"3gp4", b"3gp5", b"3gp6"}


def detect_audio(head: bytes) -> tuple[str, str] | None:
    """Sound recordings, by their first bytes: WAV, Ogg (Opus or Vorbis), WebM (what Chromium's
    recorder writes), AMR (voice notes), MP3, AAC (ADTS) and m4a."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav", "wav"
    if head.startswith(b"OggS"):
        return "audio/ogg", "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm", "webm"
    if head.startswith(b"#!AMR-WB\n"):
        return "audio/amr-wb", "awb"
    if head.startswith(b"#!AMR\n"):
        return "audio/amr", "amr"
    if head.startswith(b"ID3"):
        return "audio/mpeg", "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer = (head[1] >> 1) & 0b11
        if layer == 0b00:  # ADTS: MPEG-2/4 AAC
            return "audio/aac", "aac"
        if layer in (0b01, 0b10):  # MPEG audio layer III or II
            return "audio/mpeg", "mp3"
    if head[4:8] == b"ftyp" and head[8:12] in AUDIO_MP4_BRANDS:
        return "audio/mp4", "m4a"
    return None


def is_audio(content_type: str) -> bool:
    return content_type.startswith("audio/")


def clean_filename(name: str, ext: str) -> str:
    """A display name without paths or control characters, ending in the detected extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{(stem or 'file')[:150]}.{ext}"


def max_bytes() -> int:
    return int(current_app.config.get("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


def max_audio_bytes() -> int:
    return int(current_app.config.get("MAX_AUDIO_BYTES", 50 * 1024 * 1024))


def folder(project_id: int) -> Path:
    """Where folder storage keeps a project's files (CBPAR_ATTACHMENT_STORAGE=folder)."""
    return storage.folder_of(project_id)


def open_file(attachment: Attachment) -> IO[bytes] | None:
    """The stored file for reading, from whichever storage is configured; None if missing."""
    return storage.current().open(attachment)


def read_bytes(attachment: Attachment) -> bytes | None:
    return storage.read(attachment)


def target_name(record: Any) -> str:
    return links.type_of(record).name


def can_view(membership: Any, record: Any) -> bool:
    target = targets().get(target_name(record))
    return target is not None and target.can_view(membership, record)


def can_attach(membership: Any, record: Any) -> bool:
    target = targets().get(target_name(record))
    return target is not None and target.can_attach(membership, record)


def refusal(record: Any, content_type: str) -> str | None:
    """Why the record's own rule refuses a file of this type here, or None."""
    target = targets().get(target_name(record))
    return target.refuses(record, content_type) if target is not None else None


def back_url(record: Any, slug: str) -> str:
    """Where the attachment forms of this record return to."""
    target = targets().get(target_name(record))
    if target is not None and target.back is not None:
        return target.back(record, slug)
    return links.type_of(record).url(record, slug)


def resolve_target(project: Any, type_name: str, target_id: int) -> Any | None:
    if type_name not in targets():
        return None
    return links.resolve(project.id, type_name, target_id)


def list_for(record: Any) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment)
            .where(
                Attachment.project_id == record.project_id,
                Attachment.target_type == target_name(record),
                Attachment.target_id == record.id,
            )
            .options(joinedload(Attachment.uploaded_by))
            .order_by(Attachment.created_at, Attachment.id)
        )
    )


def get_attachment(project: Any, attachment_id: int) -> Attachment | None:
    return db.session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.project_id == project.id
        )
    )


def target_of(attachment: Attachment) -> Any | None:
    return links.resolve(attachment.project_id, attachment.target_type, attachment.target_id)


def save_attachment(record: Any, stream: IO[bytes], filename: str, user: Any) -> Attachment:
    data = stream.read(max(max_bytes(), max_audio_bytes()) + 1)
    if not data:
        raise Refused("empty")
    detected = detect_type(data[:16])
    if detected is None:
        raise Refused("type")
    content_type, ext = detected
    problem = refusal(record, content_type)
    if problem:
        raise Refused("refused", shown=problem)
    if len(data) > (max_audio_bytes() if is_audio(content_type) else max_bytes()):
        raise Refused("too large", too_large=True)
    stored_name = f"{secrets.token_hex(16)}.{ext}"
    attachment = Attachment(
        project_id=record.project_id,
        target_type=target_name(record),
        target_id=record.id,
        stored_name=stored_name,
        filename=clean_filename(filename, ext),
        content_type=content_type,
        size=len(data),
        uploaded_by_id=getattr(user, "id", None),
    )
    db.session.add(attachment)
    db.session.flush()
    storage.current().save(attachment, [data])
    audit.record(
        "attachment_added",
        attachment,
        project=record.project_id,
        details={
            "target": attachment.target_type,
            "target_id": record.id,
            "type": content_type,
            "size": len(data),
        },
    )
    return attachment


def delete_attachment(attachment: Attachment) -> None:
    """The row and its file (erasure relies on this: no copy is left in either storage)."""
    audit.record(
        "attachment_deleted",
        attachment,
        project=attachment.project_id,
        details={"target": attachment.target_type, "target_id": attachment.target_id},
    )
    storage.current().delete(attachment)
    db.session.delete(attachment)


def delete_all_for(record: Any) -> int:
    """Delete every file of `record`; how many."""
    files = list_for(record)
    for attachment in files:
        delete_attachment(attachment)
    return len(files)


def delete_all_of(target_type: str, target_ids: list[int]) -> int:
    """Delete every file of these records of one type (rows whose records go in bulk)."""
    if not target_ids:
        return 0
    files = list(
        db.session.scalars(
            select(Attachment).where(
                Attachment.target_type == target_type, Attachment.target_id.in_(target_ids)
            )
        )
    )
    for attachment in files:
        delete_attachment(attachment)
    return len(files)
