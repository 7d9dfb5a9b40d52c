"""Secret ballots cast online: one per voter (an HMAC key, no user id), a receipt each."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cbpar.db import db
from cbpar.needs.models import (
    Ballot,
    VoteMethod,
    VoteOption,
    VoteRound,
)
from cbpar.needs.vote_rounds import (
    BallotError,
    NotEligible,
    RoundNotOpen,
    TookPaperSheet,
    can_vote,
    lock_open_round,
    option_ids,
    state,
    took_sheet,
    turnout,
)
from cbpar.projects.models import Membership

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def voter_key(vote_id: int, user_id: int) -> str:
    """An HMAC of the round and user: one ballot per voter, no user id on the ballot."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"ballot:{vote_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def new_receipt() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def check_choices(vote: VoteRound, choices: Any) -> list[int]:
    """The ballot as need ids, or BallotError naming the problem."""
    if not isinstance(choices, list | tuple) or not choices:
        raise BallotError(
            _(
                "Your ballot is still empty. Give at least one need a rank "
                "(or tick at least one) before you cast it."
            )
        )
    allowed = set(option_ids(vote))
    out: list[int] = []
    for raw in choices:
        try:
            need_id = int(raw)
        except (TypeError, ValueError):
            raise BallotError(f"unknown need id {raw!r}") from None
        if need_id not in allowed or isinstance(raw, bool):
            raise BallotError(f"need {raw!r} is not on this ballot")
        if need_id in out:
            raise BallotError(f"need {need_id} appears twice")
        out.append(need_id)
    limit = vote.approval_limit if vote.method == VoteMethod.APPROVAL else None
    if limit and len(out) > limit:
        raise BallotError(_("Tick at most %(k)d needs.", k=vote.approval_limit))
    return out


@dataclass(frozen=True)
class BallotReview:
    """A ballot as it will be counted, for the voter to check before casting it."""

    approval: bool
    chosen: list[VoteOption]  # ranked needs, most pressing first (approval: the approved)
    left_out: list[VoteOption]  # not ranked (approval: not approved), in ballot order

    @property
    def choices(self) -> list[int]:
        return [o.need_id for o in self.chosen]


def review(vote: VoteRound, choices: Any) -> BallotReview:
    """What casting `choices` would record, or BallotError (the same checks as casting)."""
    chosen_ids = check_choices(vote, choices)
    by_id = {o.need_id: o for o in vote.options}
    return BallotReview(
        approval=vote.method == VoteMethod.APPROVAL,
        chosen=[by_id[i] for i in chosen_ids],
        left_out=[o for o in vote.options if o.need_id not in set(chosen_ids)],
    )


def rounds_voted(round_ids: list[int], user: Any) -> set[int]:
    """Of these rounds, those where this user has cast an online ballot (one statement)."""
    if not round_ids:
        return set()
    keys = [voter_key(round_id, user.id) for round_id in round_ids]
    return set(db.session.scalars(select(Ballot.round_id).where(Ballot.voter_key.in_(keys))))


def my_ballot(vote: VoteRound, user: Any) -> Ballot | None:
    return db.session.scalar(
        select(Ballot).where(
            Ballot.round_id == vote.id, Ballot.voter_key == voter_key(vote.id, user.id)
        )
    )


def cast_ballot(vote: VoteRound, membership: Membership, choices: Any) -> str:
    """Record (or replace) this member's ballot; the new receipt code.

    Not audited on purpose: an audit event (who, when) next to a ballot would undo secrecy.
    """
    if state(vote) != "open":
        raise RoundNotOpen()
    if not can_vote(membership, vote):
        raise NotEligible()
    ranked = check_choices(vote, choices)
    lock_open_round(vote)
    if took_sheet(vote, membership.user_id):
        raise TookPaperSheet(
            _(
                "You took a paper ballot sheet for this vote, so your vote is on paper: "
                "you cannot also vote online."
            )
        )
    key = voter_key(vote.id, membership.user_id)
    receipt = new_receipt()
    existing = db.session.scalar(
        select(Ballot).where(Ballot.round_id == vote.id, Ballot.voter_key == key)
    )
    if existing is None:
        counts = turnout(vote)
        if counts.online + counts.member_sheets >= counts.eligible:
            raise BallotError(_("Every member who may vote has already voted."))
        try:
            with db.session.begin_nested():
                db.session.add(
                    Ballot(round_id=vote.id, voter_key=key, receipt=receipt, choices=ranked)
                )
            return receipt
        except IntegrityError:  # another submission of the same voter got in first
            existing = db.session.scalar(
                select(Ballot).where(Ballot.round_id == vote.id, Ballot.voter_key == key)
            )
    existing.choices = ranked
    existing.receipt = receipt
    db.session.flush()
    return receipt
