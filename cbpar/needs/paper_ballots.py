"""Paper ballots at a meeting: sheets handed to members and guests, the sign-in list, and
the sheets a facilitator types in."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cbpar import audit
from cbpar.db import db
from cbpar.needs.ballots import check_choices, my_ballot, voter_key
from cbpar.needs.models import (
    Ballot,
    PaperSheetIssue,
    VoteRound,
)
from cbpar.needs.vote_rounds import (
    BallotError,
    RoundNotOpen,
    SheetError,
    can_vote,
    eligible_members,
    lock_open_round,
    state,
    took_sheet,
    turnout,
)
from cbpar.projects.models import Membership


def paper_sheet_taken(vote: VoteRound, sheet_number: int) -> bool:
    return (
        db.session.scalar(
            select(Ballot.id).where(Ballot.round_id == vote.id, Ballot.sheet_number == sheet_number)
        )
        is not None
    )


def enter_paper_ballot(vote: VoteRound, sheet_number: int, choices: Any) -> str:
    """A facilitator types in one paper ballot; a sheet number cannot be entered twice, and
    there are never more paper ballots than sheets handed out (see `issue_sheet`)."""
    if state(vote) != "open":
        raise RoundNotOpen()
    if not vote.paper_ballots:
        raise BallotError("this round takes no paper ballots")
    if sheet_number < 1:
        raise BallotError("sheet numbers start at 1")
    ranked = check_choices(vote, choices)
    lock_open_round(vote)
    if paper_sheet_taken(vote, sheet_number):
        raise BallotError(f"sheet {sheet_number} was already entered")
    counts = turnout(vote)
    if counts.paper >= counts.sheets:
        raise BallotError(
            _(
                "Every paper sheet handed out has been entered (%(n)d). Record on the sign-in "
                "list who took a sheet before entering more.",
                n=counts.sheets,
            )
        )
    receipt = f"P-{sheet_number}"
    try:
        with db.session.begin_nested():
            db.session.add(
                Ballot(round_id=vote.id, sheet_number=sheet_number, receipt=receipt, choices=ranked)
            )
    except IntegrityError:
        raise BallotError(f"sheet {sheet_number} was already entered") from None
    audit.record(
        "paper_ballot_entered", vote, project=vote.project_id, details={"sheet": sheet_number}
    )
    return receipt


def _sheets_open(vote: VoteRound) -> None:
    if state(vote) != "open":
        raise RoundNotOpen()
    if not vote.paper_ballots:
        raise SheetError(_("This vote takes no paper ballots."))


def issue_sheet(vote: VoteRound, membership: Membership, by: Any) -> PaperSheetIssue:
    """Record that an eligible member took a paper sheet: from now on they vote on paper only.

    Refused when the member already voted online or already took a sheet.
    """
    _sheets_open(vote)
    if membership.project_id != vote.project_id or not can_vote(membership, vote):
        raise SheetError(_("This member may not vote in this round."))
    lock_open_round(vote)
    if took_sheet(vote, membership.user_id):
        raise SheetError(_("%(name)s already took a paper sheet.", name=membership.user.name))
    if my_ballot(vote, membership.user) is not None:
        raise SheetError(
            _(
                "%(name)s has already voted online and cannot take a paper sheet.",
                name=membership.user.name,
            )
        )
    issue = PaperSheetIssue(
        round_id=vote.id,
        user_id=membership.user_id,
        guest=False,
        issued_by_id=getattr(by, "id", None),
    )
    db.session.add(issue)
    db.session.flush()
    audit.record("paper_sheet_issued", issue, project=vote.project_id, actor=by)
    return issue


def return_sheet(vote: VoteRound, membership: Membership, by: Any) -> bool:
    """Undo a sheet recorded by mistake (the member hands it back unused); False if none.

    Refused when it would leave more paper ballots entered than sheets handed out.
    """
    _sheets_open(vote)
    lock_open_round(vote)
    issue = db.session.scalar(
        select(PaperSheetIssue).where(
            PaperSheetIssue.round_id == vote.id, PaperSheetIssue.user_id == membership.user_id
        )
    )
    if issue is None:
        return False
    counts = turnout(vote)
    if counts.paper >= counts.sheets:
        raise SheetError(
            _("Every sheet handed out has been entered: this sheet can no longer be taken back.")
        )
    audit.record("paper_sheet_returned", issue, project=vote.project_id, actor=by)
    db.session.delete(issue)
    db.session.flush()
    return True


def issue_guest_sheets(vote: VoteRound, number: int, by: Any) -> int:
    """Hand out `number` sheets to guests (villagers without an account), up to the round's
    allowance; the number of guest sheets handed out so far."""
    _sheets_open(vote)
    if number < 1:
        raise SheetError(_("Give the number of sheets handed out."))
    lock_open_round(vote)
    counts = turnout(vote)
    left = counts.guests_allowed - counts.guest_sheets
    if number > left:
        raise SheetError(
            _(
                "This vote allows %(allowed)d guest sheets and %(issued)d are handed out: "
                "at most %(left)d more.",
                allowed=counts.guests_allowed,
                issued=counts.guest_sheets,
                left=max(left, 0),
            )
        )
    db.session.add_all(
        PaperSheetIssue(round_id=vote.id, guest=True, issued_by_id=getattr(by, "id", None))
        for _i in range(number)
    )
    db.session.flush()
    audit.record(
        "guest_sheets_issued", vote, project=vote.project_id, actor=by, details={"sheets": number}
    )
    return counts.guest_sheets + number


def sign_in_list(vote: VoteRound) -> list[dict[str, Any]]:
    """The eligible members, each with whether they took a sheet or voted online (for the
    facilitator: participation only, never what anyone chose)."""
    members = eligible_members(vote)
    issued = set(
        db.session.scalars(
            select(PaperSheetIssue.user_id).where(
                PaperSheetIssue.round_id == vote.id, PaperSheetIssue.user_id.is_not(None)
            )
        )
    )
    keys = {voter_key(vote.id, m.user_id): m.user_id for m in members}
    online = set()
    if keys:
        online = {
            keys[k]
            for k in db.session.scalars(
                select(Ballot.voter_key).where(
                    Ballot.round_id == vote.id, Ballot.voter_key.in_(list(keys))
                )
            )
        }
    return [
        {"membership": m, "sheet": m.user_id in issued, "online": m.user_id in online}
        for m in members
    ]
