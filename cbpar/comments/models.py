"""Comments on any linkable record (memos, meetings, ...), with one level of replies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Base, CreatedMixin, ProjectScoped

if TYPE_CHECKING:
    from cbpar.auth.models import User


class Comment(ProjectScoped, CreatedMixin, Base):
    """A comment; `target_type` is a name from the links registry ("memo", "meeting", ...)."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_target", "target_type", "target_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int]
    # One level of replies: a reply's parent is always a top-level comment.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown: the source of truth
    html: Mapped[str] = mapped_column(Text, default="")  # body rendered and sanitized
    edited_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
