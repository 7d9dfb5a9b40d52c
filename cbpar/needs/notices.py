"""Reminders of vote rounds, asked by `cbpar notify send` (see cbpar/events.py): a round that
opened at its set time, a round closing within 24 hours (to the eligible voters who have not
voted yet, and never to those who did), and results published when a round's time ran out.
Rounds opened or closed by hand are announced at once by `vote_rounds`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from cbpar import events
from cbpar.db import db
from cbpar.needs import ballots, vote_rounds
from cbpar.needs.models import Ballot, PaperSheetIssue, VoteRound
from cbpar.projects.models import Project

CLOSING_WITHIN = timedelta(hours=24)
# Results of rounds whose time ran out this long ago at most are still announced (the sender
# may have been stopped for a while); older ones are history.
RESULTS_WITHIN = timedelta(days=3)


def voted_ids(vote: VoteRound, user_ids: tuple[int, ...]) -> set[int]:
    """Of these users, who has voted in the round: an online ballot (found by its voter key,
    never by its content) or a paper sheet taken at the meeting."""
    if not user_ids:
        return set()
    by_key = {ballots.voter_key(vote.id, user_id): user_id for user_id in user_ids}
    online = db.session.scalars(
        select(Ballot.voter_key).where(Ballot.round_id == vote.id, Ballot.voter_key.in_(by_key))
    )
    voted = {by_key[key] for key in online}
    voted |= set(
        db.session.scalars(
            select(PaperSheetIssue.user_id).where(
                PaperSheetIssue.round_id == vote.id, PaperSheetIssue.user_id.in_(user_ids)
            )
        )
    )
    return voted


def _projects(rounds: list[VoteRound]) -> dict[int, Project]:
    ids = {r.project_id for r in rounds}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(ids)))}


def closing_reminders(now: datetime) -> list[events.Event]:
    """vote_closing: open rounds closing within 24 hours, to eligible voters not yet voted."""
    rounds = list(
        db.session.scalars(
            select(VoteRound)
            .where(
                VoteRound.closed_at.is_(None),
                VoteRound.opens_at <= now,
                VoteRound.closes_at > now,
                VoteRound.closes_at <= now + CLOSING_WITHIN,
            )
            .order_by(VoteRound.id)
        )
    )
    projects = _projects(rounds)
    out = []
    for vote in rounds:
        voters = vote_rounds.voter_ids(vote)
        voted = voted_ids(vote, voters)
        waiting = tuple(u for u in voters if u not in voted)
        if not waiting:
            continue
        project = projects[vote.project_id]
        out.append(
            events.Event(
                "vote_closing",
                project.id,
                waiting,
                {"question": vote.title, "closes": vote_rounds.iso_utc(vote.closes_at)},
                events.path_for("needs.vote", slug=project.slug, round_id=vote.id),
                dedupe=f"vote_closing:{vote.id}",
            )
        )
    return out


def _rounds(*where: object) -> list[VoteRound]:
    return list(db.session.scalars(select(VoteRound).where(*where).order_by(VoteRound.id)))


def opened_reminders(now: datetime) -> list[events.Event]:
    """vote_opened of rounds made before their opening time, once it has come."""
    rounds = _rounds(
        VoteRound.closed_at.is_(None),
        VoteRound.opens_at <= now,
        VoteRound.closes_at > now,
        VoteRound.created_at < VoteRound.opens_at,
    )
    projects = _projects(rounds)
    return [vote_rounds.opened_event(v, projects[v.project_id]) for v in rounds]


def results_reminders(now: datetime) -> list[events.Event]:
    """vote_results of rounds whose closing time ran out (not closed early by hand)."""
    rounds = _rounds(
        VoteRound.closes_at <= now,
        VoteRound.closes_at > now - RESULTS_WITHIN,
        VoteRound.closed_at.is_(None) | (VoteRound.closed_at >= VoteRound.closes_at),
    )
    projects = _projects(rounds)
    return [vote_rounds.results_event(v, projects[v.project_id]) for v in rounds]


def reminders(now: datetime) -> list[events.Event]:
    """Every vote reminder due at `now` (the source registered by needs' integration)."""
    return [*opened_reminders(now), *closing_reminders(now), *results_reminders(now)]
