"""Research memos, reflection notes and field notes; their revisions and tags."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Base, CreatedMixin, str_enum, utcnow

if TYPE_CHECKING:
    from cbpar.auth.models import User


class MemoKind(StrEnum):
    RESEARCH_MEMO = "research_memo"
    REFLECTION_NOTE = "reflection_note"
    FIELD_NOTE = "field_note"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    MemoKind.RESEARCH_MEMO: _l("Research memo"),
    MemoKind.REFLECTION_NOTE: _l("Reflection note"),
    MemoKind.FIELD_NOTE: _l("Field note"),
}


class Visibility(StrEnum):
    PRIVATE = "private"  # the author only
    TEAM = "team"  # coordinators, researchers, field workers
    COMMUNITY = "community"  # the team and committee members

    @property
    def label(self) -> str:
        return str(VISIBILITY_LABELS[self])


VISIBILITY_LABELS = {
    Visibility.PRIVATE: _l("Private: only me"),
    Visibility.TEAM: _l("Team: coordinators, researchers, field workers"),
    Visibility.COMMUNITY: _l("Community: the team and village committee members"),
}


memo_tag = Table(
    "memo_tag",
    Base.metadata,
    Column("memo_id", ForeignKey("memo.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    """A code of the team's analysis, e.g. "guardianship" or "幼儿园"."""

    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))


class Memo(CreatedMixin, Base):
    __tablename__ = "memo"
    __table_args__ = (Index("ix_memo_project_id_updated_at", "project_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[MemoKind] = mapped_column(str_enum(MemoKind), default=MemoKind.RESEARCH_MEMO)
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.TEAM)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown: the source of truth
    html: Mapped[str] = mapped_column(Text, default="")  # body rendered and sanitized (a cache)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Optimistic locking: a save based on an older version is refused, never overwrites.
    version: Mapped[int] = mapped_column(default=1)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    tags: Mapped[list[Tag]] = relationship(secondary=memo_tag, order_by=Tag.name)

    __mapper_args__ = {"version_id_col": version}


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
