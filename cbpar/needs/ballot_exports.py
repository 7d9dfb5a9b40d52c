"""A closed round's ballots for others to check: receipts, CSV and PrefLib files."""

from __future__ import annotations

import random

from sqlalchemy import select

from cbpar import csvout
from cbpar.db import db
from cbpar.needs.models import (
    Ballot,
    VoteMethod,
    VoteRound,
)
from cbpar.needs.vote_rounds import RoundError, ballot_contents, is_closed
from cbpar.projects.models import Project


def receipts(vote: VoteRound) -> list[str]:
    """The receipt codes of every counted ballot, sorted: published after the close."""
    if not is_closed(vote):
        raise RoundError("the round is still open")
    return sorted(db.session.scalars(select(Ballot.receipt).where(Ballot.round_id == vote.id)))


def anonymised_ballots(vote: VoteRound) -> list[list[int]]:
    """The ballots' contents only, shuffled so their order says nothing about who voted when.
    Never while the round is open."""
    if not is_closed(vote):
        raise RoundError("the round is still open")
    ballots = ballot_contents(vote)
    random.SystemRandom().shuffle(ballots)
    return ballots


def ballots_csv(vote: VoteRound) -> str:
    """One row per ballot: the letters in order of preference (for approval: the approved).

    Only for a closed round: no export shows a ballot while the vote is open.
    """
    if not is_closed(vote):
        raise RoundError("the round is still open")
    letters = {o.need_id: o.letter for o in vote.options}
    out = csvout.writer()
    out.row(["# option", "need_id", "title"])
    for option in vote.options:
        out.row([option.letter, option.need_id, option.need.title])
    out.row([])
    size = len(vote.options)
    out.row(["ballot"] + [f"choice_{i + 1}" for i in range(size)])
    for number, ballot in enumerate(anonymised_ballots(vote), 1):
        out.row([number] + [letters[i] for i in ballot] + [""] * (size - len(ballot)))
    return out.getvalue()


def ballots_preflib(vote: VoteRound, project: Project) -> tuple[str, str]:
    """PrefLib format: ".soi" (strict orders, incomplete) or ".toi" when some rank is tied.

    Approval ballots become one tied group ({a,b,c}): ".toi". Alternatives are numbered 1..n
    in ballot-letter order; identical orders are grouped with their count, as PrefLib does.
    """
    if not is_closed(vote):
        raise RoundError("the round is still open")
    numbers = {o.need_id: i + 1 for i, o in enumerate(vote.options)}
    approval = vote.method == VoteMethod.APPROVAL
    ballots = anonymised_ballots(vote)
    counts: dict[str, int] = {}
    for ballot in ballots:
        ids = [numbers[i] for i in ballot]
        if approval:
            line = (
                "{" + ",".join(str(i) for i in sorted(ids)) + "}" if len(ids) > 1 else str(ids[0])
            )
        else:
            line = ",".join(str(i) for i in ids)
        counts[line] = counts.get(line, 0) + 1
    kind = "toi" if approval and any(len(b) > 1 for b in ballots) else "soi"
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [
        f"# FILE NAME: {project.slug}-vote-{vote.id}.{kind}",
        f"# TITLE: {vote.title}",
        f"# DATA TYPE: {kind}",
        "# MODIFICATION TYPE: original",
        f"# NUMBER ALTERNATIVES: {len(vote.options)}",
        f"# NUMBER VOTERS: {len(ballots)}",
        f"# NUMBER UNIQUE ORDERS: {len(counts)}",
    ]
    for option in vote.options:
        lines.append(f"# ALTERNATIVE NAME {numbers[option.need_id]}: {option.need.title}")
    lines += [f"{n}: {line}" for line, n in ordered]
    return kind, "\n".join(lines) + "\n"
