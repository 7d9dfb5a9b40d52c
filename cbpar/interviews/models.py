"""Interviews (key-informant and in-depth family) with their consent records."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Base, CreatedMixin, ProjectScopedNoIndex, Versioned, str_enum
from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.auth.models import User
    from cbpar.mapping.models import Household


class InterviewKind(LabelledEnum):
    KEY_INFORMANT = "key_informant", _l("Key-informant interview")
    FAMILY = "family", _l("In-depth family interview")


class ConsentMethod(LabelledEnum):
    WRITTEN = "written", _l("Written")
    VERBAL = "verbal", _l("Verbal")


class ConsentGiver(LabelledEnum):
    PERSON = "person", _l("The interviewee")  # an adult interviewee themself
    GUARDIAN = "guardian", _l("A parent or guardian (for a minor)")


class ChildAssent(LabelledEnum):
    NOT_APPLICABLE = "not_applicable", _l("No child takes part")
    GIVEN = "given", _l("The child agreed")
    REFUSED = "refused", _l("The child did not agree")


class Interview(ProjectScopedNoIndex, Versioned, CreatedMixin, Base):
    """One interview. The interviewee is described by role, never by name."""

    __tablename__ = "interview"
    __table_args__ = (Index("ix_interview_project_id_held_on", "project_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InterviewKind] = mapped_column(str_enum(InterviewKind))
    held_on: Mapped[date]
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    interviewee_role: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(80), default="")
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")  # Markdown

    # Consent is part of the record.
    involves_minor: Mapped[bool] = mapped_column(default=False)
    consent_method: Mapped[ConsentMethod] = mapped_column(str_enum(ConsentMethod))
    consent_given_by: Mapped[ConsentGiver] = mapped_column(str_enum(ConsentGiver))
    child_assent: Mapped[ChildAssent] = mapped_column(
        str_enum(ChildAssent), default=ChildAssent.NOT_APPLICABLE
    )
    consent_on: Mapped[date | None]
    covers_notes: Mapped[bool] = mapped_column(default=False)
    covers_audio: Mapped[bool] = mapped_column(default=False)
    covers_quotes: Mapped[bool] = mapped_column(default=False)
    covers_photos: Mapped[bool] = mapped_column(default=False)

    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    erased_at: Mapped[datetime | None]

    interviewer: Mapped[User | None] = relationship(foreign_keys=[interviewer_id])
    household: Mapped[Household | None] = relationship()

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def kind_label(self) -> str:
        return str(self.kind.label)

    @property
    def label(self) -> str:
        if self.withdrawn:
            return f"{self.kind_label} #{self.id} ({_l('consent withdrawn')})"
        who = f" · {self.interviewee_role}" if self.interviewee_role else ""
        return f"{self.kind_label}{who} · {self.held_on.isoformat()}"
