"""Vote rounds: creating them, who may vote, turnout, closing and counting, confirming the
needs chosen. Ballots are cast in `ballots` and on paper (`paper_ballots`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from cbpar import audit, events, links
from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.meetings import services as meetings
from cbpar.meetings.models import Meeting
from cbpar.needs import voting
from cbpar.needs.models import (
    Ballot,
    Need,
    NeedStatus,
    PaperSheetIssue,
    RoundState,
    VoteMethod,
    VoteOption,
    VoteRound,
    letter,
)
from cbpar.needs.services import set_status
from cbpar.projects.models import Membership, Project
from cbpar.projects.services import member_ids
from cbpar.security import Cap, Role, membership_can, role_can

MIN_OPTIONS, MAX_OPTIONS = 2, 30
# Needs a new round cannot ask about: already met, or declined.
SETTLED_STATUSES = (NeedStatus.MET, NeedStatus.DECLINED)
MAX_GUEST_SHEETS = 1000


class BallotError(ValueError):
    """A ballot that cannot be counted; the message names the problem (shown to the voter)."""


class RoundNotOpen(Exception):
    """The round is not open (yet, or any more): every submission is refused."""


class NotEligible(Exception):
    """This member may not vote in this round."""


class RoundError(ValueError):
    """A round that cannot be created or changed; the message says why."""


class TookPaperSheet(BallotError):
    """The member took a paper sheet at the meeting: their vote is on paper, not online."""


class SheetError(ValueError):
    """A paper sheet that cannot be handed out (or taken back); the message says why."""


def state(vote: VoteRound, now: datetime | None = None) -> RoundState:
    """Scheduled, open or closed (closed by hand, or its closing time has passed)."""
    now = now or utcnow()
    if vote.closed_at is not None or now >= vote.closes_at:
        return RoundState.CLOSED
    return RoundState.OPEN if now >= vote.opens_at else RoundState.SCHEDULED


def is_closed(vote: VoteRound) -> bool:
    return state(vote) == "closed"


def rounds_query(project: Project):
    return (
        select(VoteRound)
        .where(VoteRound.project_id == project.id)
        .order_by(VoteRound.opens_at.desc(), VoteRound.id.desc())
    )


def get_round(project: Project, round_id: int) -> VoteRound | None:
    """The round with its options and their needs (one query for the options, not one each)."""
    return db.session.scalar(
        select(VoteRound)
        .where(VoteRound.id == round_id, VoteRound.project_id == project.id)
        .options(selectinload(VoteRound.options).joinedload(VoteOption.need))
    )


def open_rounds_query(project: Project):
    now = utcnow()
    return select(VoteRound).where(
        VoteRound.project_id == project.id,
        VoteRound.closed_at.is_(None),
        VoteRound.opens_at <= now,
        VoteRound.closes_at > now,
    )


def open_rounds(project: Project) -> list[VoteRound]:
    return list(db.session.scalars(open_rounds_query(project)))


def took_sheet_clause(user_id: int) -> Any:
    """For a query of rounds: did this member take a paper sheet in the round?"""
    return (
        select(PaperSheetIssue.id)
        .where(PaperSheetIssue.round_id == VoteRound.id, PaperSheetIssue.user_id == user_id)
        .exists()
    )


def create_round(project: Project, data: dict[str, Any], by: Any) -> VoteRound:
    """Validate and add a round. `data`: title, method, need_ids, eligible_roles, opens_at,
    closes_at (aware), and optionally description, approval_limit, paper_ballots, meeting_id."""
    need_ids = list(dict.fromkeys(int(i) for i in data.get("need_ids") or []))
    if not MIN_OPTIONS <= len(need_ids) <= MAX_OPTIONS:
        raise RoundError(f"a round needs {MIN_OPTIONS} to {MAX_OPTIONS} needs on its ballot")
    needs = {
        n.id: n
        for n in db.session.scalars(
            select(Need).where(Need.project_id == project.id, Need.id.in_(need_ids))
        )
    }
    missing = [i for i in need_ids if i not in needs]
    if missing:
        raise RoundError(f"unknown needs: {missing}")
    settled = [i for i in need_ids if needs[i].status in SETTLED_STATUSES]
    if settled:
        raise RoundError(f"needs already met or declined cannot be on a ballot: {settled}")
    roles = list(dict.fromkeys(data.get("eligible_roles") or []))
    for role in roles:
        if role not in {r.value for r in Role} or role == Role.OBSERVER:
            raise RoundError(f"role {role!r} cannot vote")
    paper = bool(data.get("paper_ballots"))
    if not roles and not paper:
        raise RoundError("choose who may vote: roles, paper ballots, or both")
    raw_guests = data.get("guest_sheets") or 0
    try:
        guests = int(raw_guests) if not isinstance(raw_guests, bool | float) else -1
    except (TypeError, ValueError):
        guests = -1
    if not 0 <= guests <= MAX_GUEST_SHEETS:
        raise RoundError(f"guest sheets is a whole number from 0 to {MAX_GUEST_SHEETS}")
    if guests and not paper:
        raise RoundError("guests vote on paper: accept paper ballots to allow guest sheets")
    if paper and not roles and not guests:
        raise RoundError("a round with paper ballots only needs guest sheets or voting roles")
    if data["closes_at"] <= data["opens_at"]:
        raise RoundError("the round must close after it opens")
    meeting_id = data.get("meeting_id") or None
    if meeting_id is not None and meetings.get_meeting(project, int(meeting_id)) is None:
        raise RoundError("unknown meeting")
    method = VoteMethod(data["method"])
    # The limit is only for approval rounds: ignored for the ranked methods, whose approval
    # comparison counts every ranked need.
    limit = (data.get("approval_limit") or None) if method == VoteMethod.APPROVAL else None
    if limit is not None and not 1 <= int(limit) <= len(need_ids):
        raise RoundError("the approval limit must be between 1 and the number of needs")
    vote = VoteRound(
        project_id=project.id,
        title=data["title"].strip(),
        description=data.get("description") or "",
        method=method,
        approval_limit=int(limit) if limit else None,
        eligible_roles=roles,
        paper_ballots=paper,
        guest_sheets=guests,
        opens_at=data["opens_at"],
        closes_at=data["closes_at"],
        meeting_id=int(meeting_id) if meeting_id else None,
        created_by_id=getattr(by, "id", None),
    )
    vote.options = [VoteOption(need_id=i, position=p) for p, i in enumerate(need_ids)]
    db.session.add(vote)
    db.session.flush()
    for need in needs.values():
        if need.status == NeedStatus.PROPOSED:
            set_status(need, NeedStatus.SHORTLISTED, by=by)
    audit.record("vote_round_created", vote, project=project.id)
    if vote.opens_at <= vote.created_at:  # open at once; a later opening is a reminder's
        announce_opened(vote, project, by)
    return vote


def can_vote(membership: Membership | None, vote: VoteRound) -> bool:
    return (
        membership_can(membership, Cap.VOTE)
        and membership is not None
        and membership.role.value in (vote.eligible_roles or [])
    )


def _eligible_roles(vote: VoteRound) -> list[Role]:
    return [Role(r) for r in vote.eligible_roles or [] if role_can(Role(r), Cap.VOTE)]


def eligible_count(vote: VoteRound) -> int:
    """Members who may vote in the round (online, or on a paper sheet issued to them)."""
    roles = _eligible_roles(vote)
    if not roles:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.project_id == vote.project_id, Membership.role.in_(roles))
        )
        or 0
    )


def eligible_members(vote: VoteRound) -> list[Membership]:
    """The round's electoral roll (the sign-in list), by name."""
    roles = _eligible_roles(vote)
    if not roles:
        return []
    return list(
        db.session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.project_id == vote.project_id, Membership.role.in_(roles))
            .options(joinedload(Membership.user))
            .order_by(func.lower(func.coalesce(func.nullif(User.display_name, ""), User.username)))
        )
    )


def lock_round(vote: VoteRound) -> datetime | None:
    """Serialise every change to a round's ballots and paper sheets until the transaction ends;
    the round's `closed_at` as stored now (another request may have closed it meanwhile).

    PostgreSQL: SELECT ... FOR UPDATE on the round's row, so two requests cannot both see
    room under a cap and both add, nor add a ballot after the close counted. SQLite: a writing
    transaction already holds the database's write lock from its first statement (BEGIN
    IMMEDIATE), and FOR UPDATE is not rendered.
    """
    return db.session.execute(
        select(VoteRound.closed_at).where(VoteRound.id == vote.id).with_for_update()
    ).scalar_one()


def lock_open_round(vote: VoteRound) -> None:
    if lock_round(vote) is not None:
        raise RoundNotOpen()


@dataclass
class Turnout:
    """Who has voted how, in numbers: never who chose what."""

    online: int  # ballots cast online
    paper: int  # paper ballots entered
    member_sheets: int  # paper sheets handed to eligible members
    guest_sheets: int  # paper sheets handed to guests (villagers without an account)
    eligible: int  # members who may vote
    guests_allowed: int  # guest sheets the round allows

    @property
    def sheets(self) -> int:
        return self.member_sheets + self.guest_sheets

    @property
    def ballots(self) -> int:
        return self.online + self.paper


def turnout(vote: VoteRound) -> Turnout:
    online, paper = db.session.execute(
        select(
            func.count(Ballot.voter_key),
            func.count(Ballot.sheet_number),
        ).where(Ballot.round_id == vote.id)
    ).one()
    sheets = dict(
        db.session.execute(
            select(PaperSheetIssue.guest, func.count(PaperSheetIssue.id))
            .where(PaperSheetIssue.round_id == vote.id)
            .group_by(PaperSheetIssue.guest)
        ).all()
    )
    return Turnout(
        online=online or 0,
        paper=paper or 0,
        member_sheets=sheets.get(False, 0),
        guest_sheets=sheets.get(True, 0),
        eligible=eligible_count(vote),
        guests_allowed=vote.guest_sheets or 0,
    )


def not_voted_count(vote: VoteRound) -> int:
    """Eligible members who have neither voted online nor taken a paper sheet: a count only."""
    counts = turnout(vote)
    return max(0, counts.eligible - counts.online - counts.member_sheets)


def took_sheet(vote: VoteRound, user_id: int) -> bool:
    """Did this member take a paper sheet in this round (and so votes on paper)?"""
    return (
        db.session.scalar(
            select(PaperSheetIssue.id).where(
                PaperSheetIssue.round_id == vote.id, PaperSheetIssue.user_id == user_id
            )
        )
        is not None
    )


def option_ids(vote: VoteRound) -> list[int]:
    return [o.need_id for o in vote.options]


def ballots_cast(vote: VoteRound) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(Ballot.round_id == vote.id)) or 0


def ballot_contents(vote: VoteRound) -> list[list[int]]:
    """Every ballot's contents: the only way to read them, and only once the round is closed
    (no page, API or export shows a ballot, or a running count, of an open round)."""
    if not is_closed(vote):
        raise RoundError("the round is still open")
    return list(db.session.scalars(select(Ballot.choices).where(Ballot.round_id == vote.id)))


def count(vote: VoteRound) -> dict[str, Any]:
    """Every method's count of the round's ballots, as stored on a closed round (JSON)."""
    options = option_ids(vote)
    approval = vote.method == VoteMethod.APPROVAL
    results = voting.tally_all(
        options, ballot_contents(vote), approval_ballots=approval, approve_top=vote.approval_limit
    )
    official = results[vote.method.value]
    return {
        "method": vote.method.value,
        "options": options,
        "ranking": official.as_dict()["ranking"],
        "ballots_cast": official.ballots_cast,
        "details": official.details,
        "by_method": {m: r.as_dict()["ranking"] for m, r in results.items()},
        "all_details": {m: r.details for m, r in results.items()},
    }


def result_of(vote: VoteRound) -> dict[str, Any] | None:
    """The count, once the round is closed (cached on the round when it was closed)."""
    if not is_closed(vote):
        return None
    return vote.result if vote.result is not None else count(vote)


def close_round(vote: VoteRound, by: Any = None) -> bool:
    """Close now (or settle a round whose time ran out) and store its count; False if done."""
    if vote.closed_at is not None or lock_round(vote) is not None:
        return False
    now = utcnow()
    vote.closed_at = min(now, vote.closes_at)
    vote.result = count(vote)
    db.session.flush()
    audit.record(
        "vote_round_closed",
        vote,
        project=vote.project_id,
        actor=by,
        details={"ballots": vote.result["ballots_cast"]},
    )
    if vote.closed_at < vote.closes_at:  # closed early; at its closing time, a reminder's
        announce_results(vote, db.session.get(Project, vote.project_id), by)
    return True


@dataclass
class Confirmed:
    needs: list[Need]
    decision: Any | None


def needs_to_confirm(vote: VoteRound, need_ids: list[int]) -> list[Need]:
    """The needs of a closed round's ballot among `need_ids`, or RoundError saying why not."""
    if not is_closed(vote):
        raise RoundError(_("The vote is still open: confirm needs once it is closed."))
    allowed = set(option_ids(vote))
    chosen = [i for i in dict.fromkeys(need_ids) if i in allowed]
    if not chosen:
        raise RoundError(_("Tick at least one need to confirm."))
    return [db.session.get(Need, i) for i in chosen]


def confirm_top(vote: VoteRound, need_ids: list[int], by: Any) -> Confirmed:
    """Mark chosen needs of a closed round confirmed, recorded as a decision of its meeting."""
    needs = needs_to_confirm(vote, need_ids)
    chosen = [n.id for n in needs]
    for need in needs:
        set_status(need, NeedStatus.CONFIRMED, by=by)
    vote.confirmed_at = utcnow()
    decision = None
    if vote.meeting_id is not None:
        meeting = db.session.get(Meeting, vote.meeting_id)
        if meeting is not None:
            text = _(
                "Confirmed as the most pressing needs (vote “%(title)s”, %(method)s): %(needs)s",
                title=vote.title,
                method=vote.method.value,
                needs="; ".join(n.title for n in needs),
            )
            decision = meetings.add_decision(meeting, text, by)
            for need in needs:
                links.add(meeting, need, "discussed", by=by)
    audit.record("needs_confirmed", vote, project=vote.project_id, details={"needs": chosen})
    return Confirmed(needs, decision)


def option_letters(vote: VoteRound) -> dict[int, str]:
    return {o.need_id: letter(o.position) for o in vote.options}


# --- notifications ---------------------------------------------------------------------------


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat()


def voter_ids(vote: VoteRound) -> tuple[int, ...]:
    """The round's eligible voters with an active account (the electoral roll's user ids)."""
    return member_ids(vote.project_id, Cap.VOTE, roles=_eligible_roles(vote))


def opened_event(vote: VoteRound, project: Project, actor: int | None = None) -> events.Event:
    """vote_opened to the eligible voters (and the project's group chats)."""
    return events.Event(
        "vote_opened",
        project.id,
        voter_ids(vote),
        {"question": vote.title, "closes": iso_utc(vote.closes_at)},
        events.path_for("needs.vote", slug=project.slug, round_id=vote.id),
        dedupe=f"vote_opened:{vote.id}",
        announce=True,
        actor_id=actor,
    )


def results_event(vote: VoteRound, project: Project, actor: int | None = None) -> events.Event:
    """vote_results to every member who may see them (VIEW_PROJECT: the results page's rule)."""
    return events.Event(
        "vote_results",
        project.id,
        member_ids(project.id, Cap.VIEW_PROJECT),
        {"question": vote.title},
        events.path_for("needs.results", slug=project.slug, round_id=vote.id),
        dedupe=f"vote_results:{vote.id}",
        announce=True,
        actor_id=actor,
    )


def announce_opened(vote: VoteRound, project: Project, by: Any = None) -> None:
    events.emit(opened_event(vote, project, events.actor_id(by)))


def announce_results(vote: VoteRound, project: Project, by: Any = None) -> None:
    events.emit(results_event(vote, project, events.actor_id(by)))
