"""What `cbpar notify send` delivers: the outbox of e-mails and chat messages, and the
project group chats (WeCom, DingTalk, Feishu, Slack, Matrix, JSON webhooks) announcements
go to. Rows are written in the transaction of the change that caused them; nothing is sent
from a web request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cbpar.db import Base, utcnow
from cbpar.enums import LabelledEnum


class OutboxStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting")
    SENDING = "sending", _l("Sending")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed, will try again")
    DEAD = "dead", _l("Gave up")


class ChatKind(LabelledEnum):
    WECOM = "wecom", _l("WeCom group robot")
    DINGTALK = "dingtalk", _l("DingTalk group robot")
    FEISHU = "feishu", _l("Feishu group robot")
    SLACK = "slack", _l("Slack channel")
    MATRIX = "matrix", _l("Matrix room")
    JSON = "json", _l("JSON webhook")


class OutboxMessage(Base):
    """One e-mail to one address, or one message to one group chat."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        # Delivery state, with people's addresses: never in a project archive or export.
        {"info": {"archive": False}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # "email" | "chat"
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    chat_channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_channel.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"filename": "meeting.ics", "content_type": "text/calendar", "text": "BEGIN:..."}]
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ChatChannel(Base):
    """A project's group chat that receives announcements (never personal data). `url` is a
    secret (anyone with it can post to the group): pages show it masked."""

    __tablename__ = "chat_channel"
    # The webhook URL is a secret of this deployment: never in a project archive or export.
    __table_args__ = ({"info": {"archive": False}},)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans")
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
