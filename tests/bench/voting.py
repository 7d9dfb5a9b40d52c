"""Vote counting speed targets: 20 options x 100,000 ballots (called by tests/bench)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

N_OPTIONS = 20
N_BALLOTS = 100_000


def random_ballots(rng: random.Random, options: list[int], n: int) -> list[list[int]]:
    ballots = []
    for _ in range(n):
        order = options[:]
        rng.shuffle(order)
        ballots.append(order[: rng.randint(1, len(options))])
    return ballots


def add_round(app: Any, ballots_of: Callable[[list[int]], list[list[int]]]) -> int:
    """A closed round of 20 new needs in the demo project with the given ballots."""
    from cbpar.db import db, utcnow
    from cbpar.needs import vote_rounds
    from cbpar.needs.models import Ballot, Need, NeedCategory, VoteMethod, VoteOption, VoteRound
    from cbpar.projects.models import Project

    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        needs = [
            Need(project_id=project.id, title=f"Bench need {i}", category=NeedCategory.OTHER)
            for i in range(N_OPTIONS)
        ]
        db.session.add_all(needs)
        db.session.flush()
        ids = [n.id for n in needs]
        vote = VoteRound(
            project_id=project.id,
            title="Bench vote",
            method=VoteMethod.SCHULZE,
            eligible_roles=["committee"],
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=1),
        )
        vote.options = [VoteOption(need_id=i, position=p) for p, i in enumerate(ids)]
        db.session.add(vote)
        db.session.flush()
        rows = [
            {"round_id": vote.id, "voter_key": f"k{i}", "receipt": f"R{i}", "choices": b}
            for i, b in enumerate(ballots_of(ids))
        ]
        db.session.execute(insert(Ballot), rows)
        vote_rounds.close_round(vote)
        db.session.commit()
        return vote.id


def run(app, client, report, median_seconds, count_queries) -> None:
    from cbpar.needs import voting

    rng = random.Random(6)
    options = list(range(N_OPTIONS))
    ballots = random_ballots(rng, options, N_BALLOTS)
    print(f"Vote counting ({N_OPTIONS} options x {N_BALLOTS:,} ballots, partial rankings)")
    seconds, _ = median_seconds(lambda: voting.tally_all(options, ballots), runs=3)
    report.target("all four methods (tally_all), together", seconds * 1000, 1000, "ms")
    for method in voting.METHODS:
        seconds, _ = median_seconds(lambda m=method: voting.tally(m, options, ballots), runs=3)
        report.info(f"  {method} alone", f"{seconds * 1000:,.0f} ms")

    round_id = add_round(app, lambda ids: random_ballots(random.Random(7), ids, N_BALLOTS))
    url = f"/projects/demo/votes/{round_id}/results"

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    print("Results page of a closed round (count cached on the round)")
    seconds, response = median_seconds(get)
    report.target("server time", seconds * 1000, 300, "ms")
    report.info("HTML size", f"{len(response.data) / 1000:,.1f} KB")
    report.info("SQL statements", str(count_queries(app, get)))
    api = f"/api/v1/votes/{round_id}/results"
    seconds, _ = median_seconds(lambda: client.get(api))
    report.info("results API, server time", f"{seconds * 1000:,.0f} ms")
