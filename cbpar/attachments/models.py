"""Files attached to records: photos of paper maps, scanned consent forms, PDFs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Base, CreatedMixin, ProjectScoped

if TYPE_CHECKING:
    from cbpar.auth.models import User


class Attachment(ProjectScoped, CreatedMixin, Base):
    """A stored file, under a generated name (never the uploader's): in the instance folder
    or in the database (`AttachmentBlob`), as CBPAR_ATTACHMENT_STORAGE says."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(32))  # a links registry name
    target_id: Mapped[int]
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))  # shown and offered on download
    content_type: Mapped[str] = mapped_column(String(64))  # detected from the content
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    uploaded_by: Mapped[User | None] = relationship()


class AttachmentBlob(Base):
    """The bytes of one attachment, under CBPAR_ATTACHMENT_STORAGE=database: every app server
    reads the same files, and the database's backup holds them (bytea on PostgreSQL)."""

    __tablename__ = "attachment_blob"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
