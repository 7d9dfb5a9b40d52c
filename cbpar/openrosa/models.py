"""Submissions from ODK Collect, KoBoCollect and Enketo, and the review queue they wait in.

Every submission leaves one row keyed by (project, instanceID), so a resend creates nothing.
An accepted one names the record it made and keeps no raw data (the record is the truth); one
that failed validation keeps its XML and files, with the reasons, until a field worker fixes
and accepts it, or rejects it with a reason (the row stays, never dropped).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Base, CreatedMixin, ProjectScopedNoIndex, str_enum
from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.auth.models import User
    from cbpar.projects.models import Project


class SubmissionStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting for review")
    ACCEPTED = "accepted", _l("Accepted")
    REJECTED = "rejected", _l("Rejected")


class Submission(ProjectScopedNoIndex, CreatedMixin, Base):
    """One OpenRosa submission (one filled form), by its instanceID (e.g. `uuid:...`)."""

    __tablename__ = "openrosa_submission"
    __table_args__ = (
        UniqueConstraint("project_id", "instance_id"),
        Index("ix_openrosa_submission_project_id_status", "project_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[str] = mapped_column(String(64), default="")
    instance_id: Mapped[str] = mapped_column(String(120))
    status: Mapped[SubmissionStatus] = mapped_column(
        str_enum(SubmissionStatus, 12), default=SubmissionStatus.PENDING
    )
    # The submission as sent, while it waits (or was rejected); emptied once accepted.
    xml: Mapped[str] = mapped_column(Text, default="")
    # Why it waits: [{"field": question name or "", "message": text}], in the sender's words.
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The record it made, once accepted: "household", "facility" or "contact_log", and its id.
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[int | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    rejection_reason: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    media: Mapped[list[SubmissionMedia]] = relationship(
        back_populates="submission",
        cascade="all, delete-orphan",
        order_by="SubmissionMedia.id",
    )


class SubmissionMedia(CreatedMixin, Base):
    """A file sent with a submission that waits: kept here until it becomes an attachment of
    the accepted record (or stays, when that kind of record takes no attachments)."""

    __tablename__ = "openrosa_media"
    __table_args__ = (UniqueConstraint("submission_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("openrosa_submission.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(String(200))  # as named in the submission's XML
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)

    submission: Mapped[Submission] = relationship(back_populates="media")
