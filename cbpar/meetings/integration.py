"""How meetings plug into shared features: links, search and the project home page."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from cbpar import links, search
from cbpar.meetings import services
from cbpar.meetings.models import ActionItem, Decision, Meeting
from cbpar.projects.services import register_home_panel
from cbpar.security import Cap, membership_can

HOME_POSITION = 10  # first on the project home page


def home_panel(project: Any, membership: Any) -> tuple[str, dict[str, Any]] | None:
    """Upcoming meetings and the member's own open action items (overdue ones flagged)."""
    if not membership_can(membership, Cap.READ_MEETINGS):
        return None
    return (
        "meetings/_home_panel.html",
        {
            "upcoming": services.upcoming(project),
            "my_items": services.my_open_items(project, membership.user),
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
