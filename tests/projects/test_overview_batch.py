"""cbpar.batch, which the overview reads through: short row lists travel as JSON inside one
SELECT and come back as exactly what a direct query returns (aware datetimes, dates, exact
decimals, enum members, parsed JSON), in the query's order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from cbpar.batch import Batch
from cbpar.db import db, utcnow
from cbpar.initiatives.models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Funder,
    FunderType,
    Initiative,
)
from cbpar.meetings.models import ActionItem, Meeting, MeetingKind
from cbpar.needs.models import VoteMethod, VoteRound


def test_rows_come_back_as_a_direct_query_returns_them(app, team, ctx):
    project_id = team["project"].id
    now = utcnow().replace(microsecond=123456)
    meetings = [
        Meeting(project_id=project_id, kind=MeetingKind.COMMUNITY, title=f"Meeting {i}",
                starts_at=now + timedelta(days=5 - i))
        for i in range(3)
    ]  # fmt: skip
    db.session.add_all(meetings)
    db.session.flush()
    db.session.add(ActionItem(project_id=project_id, meeting_id=meetings[0].id, what="Call",
                              due_on=date(2026, 3, 1)))  # fmt: skip
    initiative = Initiative(project_id=project_id, title="Kindergarten")
    funder = Funder(project_id=project_id, name="Youth federation", type=FunderType.FOUNDATION)
    db.session.add_all([initiative, funder])
    db.session.flush()
    for amount in ("0.10", "0.20", "1234567890.05"):
        db.session.add(
            Contribution(project_id=project_id, initiative_id=initiative.id, funder_id=funder.id,
                         kind=ContributionKind.CASH, status=ContributionStatus.RECEIVED,
                         amount=Decimal(amount), currency="CNY")
        )  # fmt: skip
    db.session.add(
        VoteRound(project_id=project_id, title="Which first?", method=VoteMethod.SCHULZE,
                  eligible_roles=["committee", "field_worker"], opens_at=now,
                  closes_at=now + timedelta(days=1))
    )  # fmt: skip
    db.session.flush()

    queries = {
        "meetings": select(Meeting.id, Meeting.title, Meeting.starts_at, Meeting.kind)
        .where(Meeting.project_id == project_id)
        .order_by(Meeting.starts_at),
        "items": select(ActionItem.id, ActionItem.due_on, ActionItem.status).where(
            ActionItem.project_id == project_id
        ),
        "money": select(Contribution.amount, Contribution.kind)
        .where(Contribution.project_id == project_id)
        .order_by(Contribution.id),
        "rounds": select(VoteRound.title, VoteRound.eligible_roles).where(
            VoteRound.project_id == project_id
        ),
        "by_kind": select(Contribution.kind, func.count().label("n"))
        .where(Contribution.project_id == project_id)
        .group_by(Contribution.kind),
    }
    batch = Batch()
    pending = {name: batch.rows(query) for name, query in queries.items()}
    none = batch.rows(select(Meeting.id).where(Meeting.project_id == -1))
    count = batch.scalar(select(func.count()).select_from(Meeting))
    batch.fetch()

    for name, query in queries.items():
        direct = [dict(row) for row in db.session.execute(query).mappings()]
        assert pending[name].value == direct, name
    assert [m["title"] for m in pending["meetings"].value] == [
        "Meeting 2",
        "Meeting 1",
        "Meeting 0",
    ]
    assert pending["meetings"].value[0]["starts_at"].tzinfo is not None
    assert pending["money"].value[2]["amount"] == Decimal("1234567890.05")
    assert pending["rounds"].value[0]["eligible_roles"] == ["committee", "field_worker"]
    assert none.value == []
    assert count.value == 3


def test_rows_can_be_made_unsaved_records_for_templates(app, team, ctx):
    project_id = team["project"].id
    db.session.add(Meeting(project_id=project_id, kind=MeetingKind.COMMUNITY, title="Soon",
                           starts_at=utcnow()))  # fmt: skip
    db.session.flush()
    batch = Batch()
    found = batch.rows(
        select(Meeting.id, Meeting.title).where(Meeting.project_id == project_id), Meeting
    )
    batch.fetch()
    (meeting,) = found.value
    assert isinstance(meeting, Meeting) and meeting.title == "Soon"
    assert meeting not in db.session  # never saved by accident
