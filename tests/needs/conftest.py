"""Fixtures for needs and votes: a team project with needs and a vote round."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cbpar.db import db, utcnow
from cbpar.needs.models import Need, NeedCategory, VoteMethod, VoteOption, VoteRound

TITLES = ["Kindergarten in Shuanghe", "Social work in the school", "Safe road", "Library"]


@pytest.fixture
def needs(app, team) -> list[int]:
    with app.app_context():
        items = [
            Need(project_id=team["project"].id, title=t, category=NeedCategory.CHILDCARE)
            for t in TITLES
        ]
        db.session.add_all(items)
        db.session.commit()
        return [n.id for n in items]


@pytest.fixture
def make_round(app, team, needs):
    def make(method: VoteMethod = VoteMethod.SCHULZE, **fields: Any) -> int:
        with app.app_context():
            now = utcnow()
            vote = VoteRound(
                project_id=team["project"].id,
                title=fields.pop("title", "Which needs first?"),
                method=method,
                eligible_roles=fields.pop("eligible_roles", ["committee", "field_worker"]),
                opens_at=fields.pop("opens_at", now - timedelta(hours=1)),
                closes_at=fields.pop("closes_at", now + timedelta(days=1)),
                **fields,
            )
            vote.options = [VoteOption(need_id=i, position=p) for p, i in enumerate(needs)]
            db.session.add(vote)
            db.session.commit()
            return vote.id

    return make
