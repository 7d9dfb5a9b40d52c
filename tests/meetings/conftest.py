"""Fixtures for meeting tests: a meeting in the `team` project, made through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from cbpar.db import db
from cbpar.meetings import services
from cbpar.meetings.models import Meeting, MeetingKind
from cbpar.projects.models import Project


@pytest.fixture
def make_meeting(app: Flask, team: dict[str, Any]) -> Callable[..., int]:
    """Create a meeting (times typed in the project's zone); returns its id."""

    def make(title: str = "Group meeting", **fields: Any) -> int:
        with app.test_request_context():
            project = db.session.get(Project, team["project"].id)
            creator = team["users"][fields.pop("by", "coordinator")]
            data = {
                "kind": fields.pop("kind", MeetingKind.RESEARCH_TEAM),
                "title": title,
                "starts_at": services.to_utc(
                    fields.pop("starts_at", datetime(2030, 5, 4, 14, 30)), project
                ),
                "ends_at": None,
                "place": fields.pop("place", "Village office"),
                "village_id": None,
                "agenda": fields.pop("agenda", "1. Memos\n2. Next steps"),
            }
            if "ends_at" in fields:
                data["ends_at"] = services.to_utc(fields.pop("ends_at"), project)
            meeting = services.create_meeting(project, {**data, **fields}, creator)
            db.session.commit()
            return meeting.id

    return make


@pytest.fixture
def load(app: Flask) -> Callable[[int], Meeting]:
    def get(meeting_id: int) -> Meeting:
        with app.app_context():
            meeting = db.session.get(Meeting, meeting_id)
            assert meeting is not None
            # Touch what tests read after the context closes.
            _ = (meeting.minutes, meeting.attendances, meeting.guests, meeting.decisions)
            _ = meeting.action_items
            if meeting.minutes is not None:
                _ = (meeting.minutes.revisions, meeting.minutes.approvals)
            db.session.expunge(meeting)  # cascades; keeps the loaded state after the context
            return meeting

    return get
