"""What someone was told in the app (the inbox) and how each person wants to hear of things."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbpar.db import Base, utcnow
from cbpar.enums import LabelledEnum


class EventKind(LabelledEnum):
    """Every kind of thing a person can be told about; the label names it on the settings page."""

    VOTE_OPENED = "vote_opened", _l("A vote opened")
    VOTE_CLOSING = "vote_closing", _l("A vote closes soon and you have not voted")
    VOTE_RESULTS = "vote_results", _l("Vote results were published")
    MEETING_PLANNED = "meeting_planned", _l("A meeting was planned")
    MEETING_CHANGED = "meeting_changed", _l("A meeting was changed")
    MEETING_CANCELLED = "meeting_cancelled", _l("A meeting was cancelled")
    MINUTES_TO_APPROVE = "minutes_to_approve", _l("Minutes wait for your approval")
    MINUTES_APPROVED = "minutes_approved", _l("Minutes were approved")
    ACTION_ASSIGNED = "action_assigned", _l("An action item was given to you")
    ACTION_DUE = "action_due", _l("Your action item is due tomorrow")
    ACTION_OVERDUE = "action_overdue", _l("Your action item is overdue")
    COMMENT_REPLY = "comment_reply", _l("Someone replied to your comment")
    NEED_STATUS = "need_status", _l("A need you proposed changed status")
    CONTACTS_OVERDUE = "contacts_overdue", _l("Contacts with children are overdue")
    FOLLOWUPS_DUE = "followups_due", _l("Follow-ups are due")
    REFLECTION_WAITING = "reflection_waiting", _l("Your reflection after a session is waiting")
    INVITATION_ACCEPTED = "invitation_accepted", _l("Someone accepted an invitation")
    IMPORT_FINISHED = "import_finished", _l("An import finished")
    IMPORT_FAILED = "import_failed", _l("An import failed")
    BACKUP_FAILED = "backup_failed", _l("A backup failed")
    MILESTONE_REACHED = "milestone_reached", _l("An initiative reached a milestone")


# How the settings page groups the per-event e-mail choices.
KIND_GROUPS: tuple[tuple[Any, tuple[EventKind, ...]], ...] = (
    (
        _l("Votes"),
        (EventKind.VOTE_OPENED, EventKind.VOTE_CLOSING, EventKind.VOTE_RESULTS),
    ),
    (
        _l("Meetings and minutes"),
        (
            EventKind.MEETING_PLANNED,
            EventKind.MEETING_CHANGED,
            EventKind.MEETING_CANCELLED,
            EventKind.MINUTES_TO_APPROVE,
            EventKind.MINUTES_APPROVED,
        ),
    ),
    (
        _l("Your tasks"),
        (
            EventKind.ACTION_ASSIGNED,
            EventKind.ACTION_DUE,
            EventKind.ACTION_OVERDUE,
            EventKind.COMMENT_REPLY,
            EventKind.NEED_STATUS,
            EventKind.MILESTONE_REACHED,
        ),
    ),
    (
        _l("Care work"),
        (EventKind.CONTACTS_OVERDUE, EventKind.FOLLOWUPS_DUE, EventKind.REFLECTION_WAITING),
    ),
    (
        _l("For coordinators"),
        (
            EventKind.INVITATION_ACCEPTED,
            EventKind.IMPORT_FINISHED,
            EventKind.IMPORT_FAILED,
            EventKind.BACKUP_FAILED,
        ),
    ),
)


class EmailFrequency(LabelledEnum):
    IMMEDIATE = "immediate", _l("At once, one e-mail for each event")
    DAILY = "daily", _l("A daily digest")
    WEEKLY = "weekly", _l("A weekly digest")
    NEVER = "never", _l("Never (only in the app)")


class EmailStatus:
    """Values of Notification.email_status."""

    PENDING = "pending"  # not yet handled by the sender
    QUEUED = "queued"  # put in an outbox e-mail
    SKIPPED = "skipped"  # not e-mailed


class Notification(Base):
    """One thing one person was told, shown in their inbox (and perhaps e-mailed)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe"),
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
        Index("ix_notification_email_status_created_at", "email_status", "created_at"),
        # What one person was told: not a record of the project, never in its archive.
        {"info": {"archive": False}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(500), default="")
    dedupe: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    email_status: Mapped[str] = mapped_column(String(12), default=EmailStatus.PENDING)

    @property
    def kind_label(self) -> Any:
        return EventKind.label_of(self.kind)


class NotificationSettings(Base):
    """How one person wants to be told of things by e-mail (the inbox always has everything)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254))  # verified address only
    pending_email: Mapped[str | None] = mapped_column(String(254))
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64))
    confirm_sent_at: Mapped[datetime | None]
    email_frequency: Mapped[str] = mapped_column(String(10), default=EmailFrequency.IMMEDIATE.value)
    muted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    unsubscribe_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    last_digest_at: Mapped[datetime | None]

    @property
    def frequency(self) -> EmailFrequency:
        try:
            return EmailFrequency(self.email_frequency)
        except ValueError:
            return EmailFrequency.IMMEDIATE
