"""Notifications: writing them from events, reading a member's inbox, marking them read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.events import Event
from cbpar.notify.messages import Message, render
from cbpar.notify.models import (
    EmailFrequency,
    EmailStatus,
    EventKind,
    Notification,
    NotificationSettings,
)
from cbpar.projects.models import Membership, Project
from cbpar.web import Page, paginate

PER_PAGE = 20
PANEL_SIZE = 5


# Something@somewhere.tld, nothing more: the confirmation link proves the address works.
ADDRESS = re.compile(r"^[^@\s<>\",;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251})\.[A-Za-z]{2,63}$")


def address_problem(address: str) -> Any:
    """Why this is not an e-mail address we can use (a lazy message), or None."""
    if len(address) > 254 or not ADDRESS.match(address) or ".." in address.split("@")[-1]:
        return _l("This does not look like an e-mail address, e.g. name@example.com.")
    return None


# --- settings --------------------------------------------------------------------------------


def settings_for(user: Any) -> NotificationSettings:
    """The user's notification settings, created (with the defaults) on first use."""
    found = db.session.get(NotificationSettings, user.id)
    if found is None:
        found = NotificationSettings(
            user_id=user.id, email_frequency=EmailFrequency.IMMEDIATE.value, muted_kinds=[]
        )
        db.session.add(found)
        db.session.flush()
    return found


def existing_settings(user: Any) -> NotificationSettings | None:
    """The user's settings if they have a row, without creating one (for GET pages)."""
    return db.session.get(NotificationSettings, user.id)


def set_choices(user: Any, frequency: str, muted: Iterable[str]) -> NotificationSettings:
    settings = settings_for(user)
    settings.email_frequency = EmailFrequency(frequency).value
    known = {kind.value for kind in EventKind}
    settings.muted_kinds = sorted({kind for kind in muted if kind in known})
    return settings


def address_change(settings: NotificationSettings, address: str) -> str:
    """Apply a typed e-mail address: "cleared" (empty: no e-mail, nothing pending),
    "same" (the verified or the pending address again), or "confirm" (a new one: the caller
    calls mail.request_confirmation; until the link is opened the old address stays)."""
    address = address.strip()
    if not address:
        settings.email = None
        settings.pending_email = None
        settings.confirm_token_hash = None
        return "cleared"
    if address.lower() == (settings.email or "").lower():
        # Back to the verified address: forget a pending one.
        settings.pending_email = None
        settings.confirm_token_hash = None
        return "same"
    if address.lower() == (settings.pending_email or "").lower():
        return "same"
    return "confirm"


def change_address(user: Any, address: str) -> str:
    """The user typed this e-mail address (on the page or through the API): apply it, and
    e-mail a confirmation link to a new one (it is used only once the link is opened).
    Returns what happened, as `address_change`."""
    from cbpar.notify import mail  # the sending side; imported here, it imports this module

    address = address.strip()
    outcome = address_change(settings_for(user), address)
    if outcome == "confirm":
        mail.request_confirmation(user, address)
    return outcome


# --- writing ---------------------------------------------------------------------------------


def write_notifications(event: Event) -> list[int]:
    """One notification per recipient of `event`, in the current transaction; returns the
    ids of the users told.

    Skipped: the actor; unknown or disabled accounts; for a project event, anyone who is not
    (or no longer) a member of it (a removed member's row is gone); anyone who already has a
    notification with the event's dedupe key. The key holds even when two transactions tell
    the same person at once (two `cbpar notify send` runs): the insert skips a row that
    conflicts with (user_id, dedupe) instead of failing the whole change.
    """
    recipients = {r for r in event.recipients if r != event.actor_id}
    if not recipients:
        return []
    query = select(User.id).where(User.id.in_(recipients), User.active.is_(True))
    if event.project_id is not None:
        query = query.join(
            Membership,
            and_(Membership.user_id == User.id, Membership.project_id == event.project_id),
        )
    allowed = set(db.session.scalars(query))
    if event.dedupe and allowed:
        allowed -= set(
            db.session.scalars(
                select(Notification.user_id).where(
                    Notification.user_id.in_(allowed), Notification.dedupe == event.dedupe
                )
            )
        )
    if not allowed:
        return []
    now = utcnow()
    rows = [
        {
            "user_id": user_id,
            "project_id": event.project_id,
            "kind": event.kind,
            "params": dict(event.params),
            "url": event.url or "",
            "dedupe": event.dedupe,
            "created_at": now,
            "email_status": EmailStatus.PENDING,
        }
        for user_id in sorted(allowed)
    ]
    make = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    statement = make(Notification).values(rows)
    if event.dedupe:
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "dedupe"])
    db.session.execute(statement)
    return sorted(allowed)


# --- reading ---------------------------------------------------------------------------------


def _unread_first(query: Any) -> Any:
    return query.order_by(
        Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()
    )


def unread_count_query(user_id: int) -> Any:
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def unread_count(user: Any) -> int:
    """How many unread notifications the user has (one cheap COUNT on an index)."""
    return db.session.scalar(unread_count_query(user.id)) or 0


def inbox_query(user: Any) -> Any:
    return _unread_first(select(Notification).where(Notification.user_id == user.id))


def inbox(user: Any, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the user's notifications, unread first, newest first."""
    return paginate(inbox_query(user), page, per_page)


def unread_for_project_query(user_id: int, project_id: int, limit: int = PANEL_SIZE) -> Any:
    return (
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.project_id == project_id,
            Notification.read_at.is_(None),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )


def unread_for_project_count(user_id: int, project_id: int) -> Any:
    return (
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.project_id == project_id,
            Notification.read_at.is_(None),
        )
    )


def own(user: Any, notification_id: int) -> Notification | None:
    """The user's notification with this id, or None (someone else's is never returned)."""
    found = db.session.get(Notification, notification_id)
    return found if found is not None and found.user_id == user.id else None


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read: those with `ids` (others' ids are ignored), or all
    of them if `ids` is None. Returns how many changed."""
    conditions = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if ids is not None:
        wanted = {int(i) for i in ids}
        if not wanted:
            return 0
        conditions.append(Notification.id.in_(wanted))
    result = db.session.execute(
        update(Notification).where(*conditions).values(read_at=utcnow()),
        execution_options={"synchronize_session": "fetch"},
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- showing ---------------------------------------------------------------------------------


def project_timezones(project_ids: Iterable[int | None]) -> dict[int, tuple[str, str, str]]:
    """{project id: (name, slug, time zone)} for the projects named (one query)."""
    wanted = {p for p in project_ids if p is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Project.id, Project.name, Project.slug, Project.timezone).where(
            Project.id.in_(wanted)
        )
    )
    return {row.id: (row.name, row.slug, row.timezone) for row in rows}


def message_of(
    notification: Notification, locale: str | None, timezone: str | None = None, base_url: str = ""
) -> Message:
    return render(
        notification.kind,
        notification.params or {},
        locale,
        base_url=base_url,
        url=notification.url,
        timezone=timezone,
    )
