"""Meetings, who attended, minutes and their revisions, decisions, action items, calendar feeds."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import (
    Authored,
    Base,
    CreatedMixin,
    ProjectScoped,
    ProjectScopedNoIndex,
    Versioned,
    str_enum,
    utcnow,
)
from cbpar.enums import LabelledEnum

if TYPE_CHECKING:
    from cbpar.auth.models import User
    from cbpar.projects.models import Project, Village


class MeetingKind(LabelledEnum):
    RESEARCH_TEAM = "research_team", _l("Research team meeting")
    COMMUNITY = "community", _l("Community meeting")
    VILLAGE_COMMITTEE = "village_committee", _l("Village committee meeting")


class MeetingStatus(LabelledEnum):
    PLANNED = "planned", lazy_pgettext("meeting", "Planned")  # 已安排, not a facility's 规划中
    HELD = "held", _l("Held")
    MINUTES_APPROVED = "minutes_approved", _l("Minutes approved")
    CANCELLED = "cancelled", _l("Cancelled")


class GuestRole(LabelledEnum):
    VILLAGER = "villager", _l("Villager")
    PARENT = "parent", _l("Parent")
    GRANDPARENT_CAREGIVER = "grandparent_caregiver", _l("Grandparent caregiver")
    TEACHER = "teacher", _l("Teacher")
    COMMITTEE_MEMBER = "committee_member", _l("Village committee member")
    OTHER = "other", _l("Other")


class Gender(LabelledEnum):
    WOMAN = "woman", _l("Woman")
    MAN = "man", _l("Man")
    OTHER = "other", _l("Other or not said")  # other, or not said


class AgeGroup(LabelledEnum):
    UNDER_18 = "under_18", _l("Under 18")
    FROM_18_TO_35 = "18_35", _l("18 to 35")
    FROM_36_TO_59 = "36_59", _l("36 to 59")
    OVER_60 = "60_plus", _l("60 or older")


class ActionStatus(LabelledEnum):
    OPEN = "open", _l("Open")
    DONE = "done", _l("Done")
    DROPPED = "dropped", _l("Dropped")


class ApprovalMode(LabelledEnum):
    COORDINATOR = "coordinator", _l("The coordinator approves minutes")
    ATTENDEES = "attendees", _l("Every member who attended approves minutes")


class RevisionKind(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    APPROVAL = "approval", _l("Approved")
    CORRECTION = "correction", _l("Correction")


def new_calendar_uid() -> str:
    """A meeting's iCalendar UID: made once, so every address of the server, every app server
    and an archive moved to another server give calendars the same event."""
    return f"{uuid.uuid4()}@cbpar"


class Meeting(ProjectScopedNoIndex, Authored, Versioned, CreatedMixin, Base):
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_project_id_starts_at", "project_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MeetingKind] = mapped_column(str_enum(MeetingKind))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id", ondelete="SET NULL"))
    agenda: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MeetingStatus] = mapped_column(
        str_enum(MeetingStatus), default=MeetingStatus.PLANNED
    )
    ical_uid: Mapped[str] = mapped_column(String(64), unique=True, default=new_calendar_uid)

    project: Mapped[Project] = relationship()
    village: Mapped[Village | None] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    guests: Mapped[list[Guest]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Guest.id"
    )
    minutes: Mapped[Minutes | None] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Decision.id"
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ActionItem.id"
    )


class Attendance(Base):
    """A project member who was at the meeting."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="attendances")
    user: Mapped[User] = relationship()


class Guest(Base):
    """Someone without an account who took part; the name is optional, the figures are not."""

    __tablename__ = "meeting_guest"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[GuestRole] = mapped_column(str_enum(GuestRole), default=GuestRole.VILLAGER)
    gender: Mapped[Gender] = mapped_column(str_enum(Gender), default=Gender.OTHER)
    age_group: Mapped[AgeGroup | None] = mapped_column(str_enum(AgeGroup))

    meeting: Mapped[Meeting] = relationship(back_populates="guests")


class Minutes(Versioned, Base):
    """The current text of a meeting's minutes; every save also leaves a MinutesRevision."""

    __tablename__ = "meeting_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="minutes")
    revisions: Mapped[list[MinutesRevision]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan", order_by="MinutesRevision.number"
    )
    approvals: Mapped[list[MinutesApproval]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan"
    )

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class MinutesRevision(CreatedMixin, Base):
    __tablename__ = "meeting_minutes_revision"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("meeting_minutes.id", ondelete="CASCADE"))
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[RevisionKind] = mapped_column(str_enum(RevisionKind), default=RevisionKind.DRAFT)
    reason: Mapped[str] = mapped_column(Text, default="")  # required for corrections
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    minutes: Mapped[Minutes] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()


class MinutesApproval(CreatedMixin, Base):
    """One attending member's approval of one revision (when attendees approve minutes)."""

    __tablename__ = "meeting_minutes_approval"
    __table_args__ = (UniqueConstraint("minutes_id", "user_id", "revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("meeting_minutes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    revision_number: Mapped[int]

    minutes: Mapped[Minutes] = relationship(back_populates="approvals")
    user: Mapped[User] = relationship()


class Decision(ProjectScoped, Authored, CreatedMixin, Base):
    __tablename__ = "meeting_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")


class ActionItem(ProjectScopedNoIndex, CreatedMixin, Base):
    __tablename__ = "meeting_action_item"
    __table_args__ = (Index("ix_meeting_action_item_project_id_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    what: Mapped[str] = mapped_column(Text)
    # A member, or a named person without an account (e.g. "the village doctor").
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    assignee_name: Mapped[str] = mapped_column(String(120), default="")
    due_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus), default=ActionStatus.OPEN)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="action_items")
    assignee: Mapped[User | None] = relationship()

    @property
    def who(self) -> str:
        return self.assignee.name if self.assignee is not None else self.assignee_name

    def overdue(self, today: date) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on is not None and self.due_on < today


class MeetingSettings(Base):
    """Per-project meeting settings, kept here so the Project model stays the foundation's."""

    __tablename__ = "meeting_settings"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    approval: Mapped[ApprovalMode] = mapped_column(
        str_enum(ApprovalMode), default=ApprovalMode.COORDINATOR
    )


class CalendarFeed(CreatedMixin, Base):
    """A user's private calendar feed: the secret in the URL is shown once, kept as SHA-256."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
