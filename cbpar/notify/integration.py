"""How notifications plug in: the event handler, the bell on every page, the "needs you"
panel on the project overview."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g
from flask_babel import get_locale
from flask_login import current_user

from cbpar import events
from cbpar.batch import Batch
from cbpar.notify import delivery, services
from cbpar.notify.models import Notification
from cbpar.projects.services import register_home_panel

HOME_POSITION = 5  # before the meetings: what needs the member comes first


def handle(event: events.Event) -> None:
    """One notification per recipient, in the transaction of the change that caused it."""
    services.write_notifications(event)


def unread_for_bell() -> int:
    """The current user's unread count, read once per request (the overview's batch may
    already have read it)."""
    if not current_user or not current_user.is_authenticated:
        return 0
    if "notify_unread" not in g:
        g.notify_unread = services.unread_count(current_user)
    return int(g.notify_unread)


def home_panel(project: Any, membership: Any, batch: Batch) -> Callable[[], Any] | None:
    """The member's unread notifications for this project (up to 5), and their whole unread
    count for the bell, in the overview's one statement."""
    user_id = membership.user_id
    shown = (
        Notification.id,
        Notification.kind,
        Notification.params,
        Notification.url,
        Notification.created_at,
        Notification.project_id,
    )
    latest = batch.rows(
        services.unread_for_project_query(user_id, project.id).with_only_columns(*shown),
        Notification,
    )
    here = batch.scalar(services.unread_for_project_count(user_id, project.id))
    everywhere = batch.scalar(services.unread_count_query(user_id))

    def finish() -> Any:
        g.notify_unread = int(everywhere.value or 0)
        items = latest.value
        if not items:
            return None
        locale = str(get_locale() or "en")
        return (
            "notify/_home_panel.html",
            {
                "items": [(n, services.message_of(n, locale, project.timezone)) for n in items],
                "total": int(here.value or 0),
            },
        )

    return finish


def init_app(app: Flask) -> None:
    events.register_handler(app, handle)
    delivery.init_delivery(app)  # group chats: announcements to the project's channels
    register_home_panel(app, home_panel, HOME_POSITION)
    app.add_template_global(unread_for_bell, "notify_unread")
