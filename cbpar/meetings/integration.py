"""How meetings plug into shared features: links, search and the project home page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from cbpar import events, links, search
from cbpar.batch import Batch
from cbpar.meetings import notices, services
from cbpar.meetings.models import ActionItem, Decision, Meeting
from cbpar.projects.services import register_home_panel
from cbpar.security import Cap, membership_can

HOME_POSITION = 10  # first on the project home page


def home_panel(project: Any, membership: Any, batch: Batch) -> Callable[[], Any] | None:
    """Upcoming meetings and the member's own open action items (overdue ones flagged)."""
    if not membership_can(membership, Cap.READ_MEETINGS):
        return None
    # Only the columns the panel shows (the batch makes unsaved records of them).
    soon = services.upcoming_query(project)
    upcoming = batch.rows(
        soon.with_only_columns(Meeting.id, Meeting.title, Meeting.starts_at), Meeting
    )
    mine = services.action_items_query(project, membership.user, True).limit(10)
    shown = (
        ActionItem.id,
        ActionItem.meeting_id,
        ActionItem.what,
        ActionItem.due_on,
        ActionItem.status,
    )
    my_items = batch.rows(mine.with_only_columns(*shown), ActionItem)
    return lambda: (
        "meetings/_home_panel.html",
        {
            "upcoming": upcoming.value,
            "my_items": my_items.value,
            "today": services.project_today(project),
        },
    )


def init_app(app: Flask) -> None:
    read = links.needs(Cap.READ_MEETINGS)
    links.register(
        app,
        links.RecordType(
            "meeting", Meeting, lambda m: m.title, "meetings.meeting", "meeting_id", read,
            lambda: str(_l("Meeting")),
        ),
        links.RecordType(
            "decision", Decision, lambda d: d.text[:80], "meetings.meeting_decision",
            "decision_id", read, lambda: str(_l("Decision")),
        ),
        links.RecordType(
            "action_item", ActionItem, lambda a: a.what[:80], "meetings.meeting_action_item",
            "item_id", read, lambda: str(_l("Action item")),
        ),
    )  # fmt: skip
    search.register(app, "minutes", services.search_minutes)
    register_home_panel(app, home_panel, HOME_POSITION)
    events.register_reminders(app, notices.action_reminders)
