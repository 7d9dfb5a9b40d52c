"""One active ballot per voter, enforced by the database: 50 simultaneous submissions."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from cbpar.auth.models import User
from cbpar.db import db, utcnow, write_intent
from cbpar.needs import ballots
from cbpar.needs.models import Ballot, Need, NeedCategory, VoteMethod, VoteOption, VoteRound
from cbpar.projects.models import Membership, Project
from cbpar.security import Role
from tests.helpers import fresh_app


def test_fifty_simultaneous_submissions_leave_one_ballot(tmp_path) -> None:
    app = fresh_app(tmp_path)
    with app.app_context():
        user = User(username="committee1")
        project = Project(slug="p", name="P")
        db.session.add_all([user, project])
        db.session.flush()
        membership = Membership(project_id=project.id, user_id=user.id, role=Role.COMMITTEE)
        needs = [
            Need(project_id=project.id, title=f"n{i}", category=NeedCategory.OTHER)
            for i in range(3)
        ]
        db.session.add(membership)
        db.session.add_all(needs)
        db.session.flush()
        vote = VoteRound(
            project_id=project.id,
            title="v",
            method=VoteMethod.BORDA,
            eligible_roles=["committee"],
            opens_at=utcnow() - timedelta(hours=1),
            closes_at=utcnow() + timedelta(hours=1),
        )
        vote.options = [VoteOption(need_id=n.id, position=i) for i, n in enumerate(needs)]
        db.session.add(vote)
        db.session.commit()
        ids = {"round": vote.id, "membership": membership.id, "needs": [n.id for n in needs]}

    start = threading.Barrier(50)
    receipts: list[str] = []
    errors: list[BaseException] = []

    def submit(i: int) -> None:
        try:
            with app.test_request_context():
                write_intent.set(True)
                start.wait()
                vote = db.session.get(VoteRound, ids["round"])
                member = db.session.get(Membership, ids["membership"])
                order = ids["needs"][i % 3 :] + ids["needs"][: i % 3]
                receipts.append(ballots.cast_ballot(vote, member, order))
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(receipts) == 50
    with app.app_context():
        rows = db.session.scalars(select(Ballot).where(Ballot.round_id == ids["round"])).all()
        assert len(rows) == 1
        assert rows[0].receipt in receipts
        assert db.session.scalar(select(func.count(Ballot.id))) == 1
        db.engine.dispose()


def test_the_database_refuses_a_second_ballot_with_the_same_voter_key(tmp_path) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    app = fresh_app(tmp_path)
    with app.app_context():
        project = Project(slug="p", name="P")
        db.session.add(project)
        db.session.flush()
        vote = VoteRound(
            project_id=project.id, title="v", method=VoteMethod.BORDA, eligible_roles=[],
            opens_at=utcnow(), closes_at=utcnow() + timedelta(hours=1),
        )  # fmt: skip
        db.session.add(vote)
        db.session.flush()
        db.session.add(Ballot(round_id=vote.id, voter_key="k", receipt="A", choices=[]))
        db.session.flush()
        db.session.add(Ballot(round_id=vote.id, voter_key="k", receipt="B", choices=[]))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.engine.dispose()
