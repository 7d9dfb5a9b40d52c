"""Research memos, reflection notes and field notes; their revisions and tags."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar import search_index
from cbpar.db import Base, CreatedMixin, ProjectScopedNoIndex, Versioned, str_enum, utcnow
from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.auth.models import User


class MemoKind(LabelledEnum):
    RESEARCH_MEMO = "research_memo", _l("Research memo")
    REFLECTION_NOTE = "reflection_note", _l("Reflection note")
    FIELD_NOTE = "field_note", _l("Field note")


class Visibility(LabelledEnum):
    PRIVATE = "private", _l("Private: only me")
    TEAM = "team", _l("Team: coordinators, researchers, field workers")
    COMMUNITY = "community", _l("Community: the team and village committee members")


memo_tag = Table(
    "memo_tag",
    Base.metadata,
    Column("memo_id", ForeignKey("memo.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(ProjectScopedNoIndex, Base):
    """A code of the team's analysis, e.g. "guardianship" or "幼儿园"."""

    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Memo(ProjectScopedNoIndex, Versioned, CreatedMixin, Base):
    __tablename__ = "memo"
    __table_args__ = (Index("ix_memo_project_id_updated_at", "project_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[MemoKind] = mapped_column(str_enum(MemoKind), default=MemoKind.RESEARCH_MEMO)
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.TEAM)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown: the source of truth
    html: Mapped[str] = mapped_column(Text, default="")  # body rendered and sanitized (a cache)
    # Set by the services when the text is saved, not on every UPDATE (overrides Versioned).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    tags: Mapped[list[Tag]] = relationship(secondary=memo_tag, order_by=Tag.name)


# Search reads the few memos a rare term is in through a trigram index (cbpar/search_index.py).
search_index.declare(Memo.__table__, ("title", "body"))


class MemoRevision(Base):
    """The memo as it was after one save; restoring one makes a new revision."""

    __tablename__ = "memo_revision"
    __table_args__ = (UniqueConstraint("memo_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    memo_id: Mapped[int] = mapped_column(ForeignKey("memo.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, 3 ... per memo
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")  # e.g. "restored revision 2"

    editor: Mapped[User | None] = relationship()
