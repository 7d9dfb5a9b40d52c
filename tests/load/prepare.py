"""Accounts, memberships and a fresh open vote round for one load test; prints them as JSON.

Run by tests/load/__main__.py as a script, with the code under test first on PYTHONPATH (the
checkout, or an older copy to measure "before") and the run's CBPAR_* settings, after
`cbpar db upgrade` and `cbpar demo --households N`. Uses the app's own services, so the round
is made exactly as a coordinator would make it. Safe to run again on the same database: the
accounts are kept, earlier load-test rounds are closed, and a new round is opened each time
(so the ballots counted at the end are this run's only).
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from sqlalchemy import func, select

from cbpar import create_app
from cbpar.auth.models import User
from cbpar.auth.services import set_password
from cbpar.db import db, utcnow
from cbpar.mapping.models import Household
from cbpar.meetings.models import Meeting
from cbpar.needs import vote_rounds
from cbpar.needs.models import Need, VoteMethod, VoteRound
from cbpar.projects.models import Membership, Project
from cbpar.security import Role

ROUND_PREFIX = "Load test round"
SLUG = "demo"


def account(project: Project, username: str, role: Role, password: str) -> None:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, display_name=username)
        set_password(user, password)
        db.session.add(user)
        db.session.flush()
    membership = db.session.scalar(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id)
    )
    if membership is None:
        db.session.add(Membership(project=project, user=user, role=role))
    else:
        membership.role = role


def ballot_needs(project: Project) -> list[int]:
    """The needs of the demo's open round (shortlisted), else the project's first five."""
    for vote in vote_rounds.open_rounds(project):
        if not vote.title.startswith(ROUND_PREFIX):
            ids = [o.need_id for o in sorted(vote.options, key=lambda o: o.position)]
            if len(ids) >= 2:
                return ids
    return list(
        db.session.scalars(
            select(Need.id).where(Need.project_id == project.id).order_by(Need.id).limit(5)
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--voters", type=int, default=30)
    parser.add_argument("--password", default="load-test-password")
    args = parser.parse_args()

    app = create_app()
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == SLUG))
        if project is None:
            raise SystemExit("no demo project: run `cbpar demo --households N` first")
        members = [f"loadmember{i:02d}" for i in range(1, args.members + 1)]
        voters = [f"loadvoter{i:02d}" for i in range(1, args.voters + 1)]
        for name in members:
            account(project, name, Role.RESEARCHER, args.password)
        for name in voters:
            account(project, name, Role.COMMITTEE, args.password)
        db.session.flush()

        coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
        for old in db.session.scalars(
            select(VoteRound).where(
                VoteRound.project_id == project.id, VoteRound.title.startswith(ROUND_PREFIX)
            )
        ):
            if vote_rounds.state(old) == "open":
                vote_rounds.close_round(old, coordinator)
        now = utcnow()
        need_ids = ballot_needs(project)
        vote = vote_rounds.create_round(
            project,
            {
                "title": f"{ROUND_PREFIX} {now:%Y-%m-%d %H:%M:%S}",
                "description": "Made by `make loadtest`.",
                "method": VoteMethod.BORDA.value,
                "need_ids": need_ids,
                "eligible_roles": [Role.COMMITTEE.value],
                "paper_ballots": False,
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(days=1),
            },
            coordinator,
        )
        meeting_id = db.session.scalar(
            select(Meeting.id).where(Meeting.project_id == project.id).order_by(Meeting.id)
        )
        households = db.session.scalar(
            select(func.count()).select_from(Household).where(Household.project_id == project.id)
        )
        db.session.commit()
        print(
            json.dumps(
                {
                    "slug": SLUG,
                    "round_id": vote.id,
                    "need_ids": need_ids,
                    "meeting_id": meeting_id,
                    "households": households,
                    "members": members,
                    "voters": voters,
                    "password": args.password,
                }
            )
        )


if __name__ == "__main__":
    main()
