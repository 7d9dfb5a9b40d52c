"""Codes (the code book, a hierarchy) and codings: a code applied to a passage of a source."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Base, CreatedMixin, ProjectScopedNoIndex
from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.auth.models import User


class SourceKind(LabelledEnum):
    """What a coded passage is taken from. A reflection is a memo of the kind "reflection
    note" (volunteers' reflections are such memos): it is stored as "memo" and told apart by
    the memo's kind, so changing a memo's kind never orphans its codings."""

    INTERVIEW = "interview", _l("Interview notes")
    MEMO = "memo", _l("Memo")
    REFLECTION = "reflection", _l("Reflection")
    MINUTES = "minutes", _l("Meeting minutes")
    CONTACT = "contact", _l("Contact summary")


# The kinds a coding row stores (a reflection is stored as a memo).
STORED_KINDS = ("interview", "memo", "minutes", "contact")
DEFAULT_COLOR = "#f2c94c"


class Code(ProjectScopedNoIndex, CreatedMixin, Base):
    """One code of the project's code book, e.g. "access to childcare" or "隔代照料"."""

    __tablename__ = "qda_code"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_qda_code_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("qda_code.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[str] = mapped_column(Text, default="")
    example: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(7), default=DEFAULT_COLOR)  # "#rrggbb"
    # A REFI-QDA GUID, kept so that a code book exchanged with another tool keeps its codes.
    guid: Mapped[str] = mapped_column(String(36), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship()


class Coding(ProjectScopedNoIndex, CreatedMixin, Base):
    """A code applied to the passage [start, end) of a source's stored text.

    Offsets count Unicode code points of the stored text (Markdown or plain text, never the
    HTML), so they mean the same in Python, in an exported plain-text file and, counted with
    Array.from, in the browser. `text` is the passage as it was when coded: when the source is
    edited, the passage is found again near its old place, or the coding is flagged `changed`.
    """

    __tablename__ = "qda_coding"
    __table_args__ = (
        Index("ix_qda_coding_source", "project_id", "source_type", "source_id"),
        Index("ix_qda_coding_code_id", "code_id", "source_type", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("qda_code.id", ondelete="CASCADE"))
    source_type: Mapped[str] = mapped_column(String(16))  # one of STORED_KINDS
    source_id: Mapped[int]
    start: Mapped[int]
    end: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    changed: Mapped[bool] = mapped_column(default=False)  # the passage's text is not found
    blind: Mapped[bool] = mapped_column(default=False)  # a second coder's blind coding
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None]

    code: Mapped[Code] = relationship()
    coder: Mapped[User | None] = relationship()
