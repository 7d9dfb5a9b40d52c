"""The audit trail: who did what to which record, when (UTC). Values are never stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cbpar.db import Base, db, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None]
    ip: Mapped[str] = mapped_column(String(64), default="")
    # Which fields changed, counts, reasons: never the sensitive values themselves.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record_export(project: Any, what: str, fmt: str, rows: int, actor: Any = None) -> AuditEvent:
    """Every download of a project's data is audited: what, in which format, how many rows."""
    return record(
        "export", project=project, actor=actor, details={"what": what, "format": fmt, "rows": rows}
    )


def record(
    action: str,
    target: Any = None,
    *,
    project: Any = None,
    actor: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change it records)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        project_id=getattr(project, "id", project),
        target_type=target.__tablename__ if target is not None else "",
        target_id=getattr(target, "id", None),
        ip=(request.remote_addr or "") if has_request_context() else "cli",
        details=details or {},
    )
    db.session.add(event)
    return event
