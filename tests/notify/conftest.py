"""Helpers for the notification tests: emitting events as a feature would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cbpar import events
from cbpar.db import db
from cbpar.notify.models import Notification


@pytest.fixture
def emit(app: Flask, database: None) -> Callable[..., None]:
    """Emit an event in a request of its own and commit, as a feature's view would."""

    def do(kind: str, project: Any, recipients: Any, **fields: Any) -> None:
        with app.test_request_context():
            events.emit(
                events.Event(
                    kind,
                    project.id if project is not None else None,
                    tuple(u.id for u in recipients),
                    fields.pop("params", {}),
                    fields.pop("url", "/"),
                    **fields,
                )
            )
            db.session.commit()

    return do


def count(app: Flask, **where: Any) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Notification)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return db.session.scalar(query) or 0
