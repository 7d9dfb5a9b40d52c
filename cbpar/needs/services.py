"""Needs: proposing, evidence, status changes; vote rounds, secret ballots and their count."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from cbpar import audit, csvout, links
from cbpar.db import db, utcnow
from cbpar.needs import voting
from cbpar.needs.models import (
    Ballot,
    Need,
    NeedCategory,
    NeedStatus,
    PaperSheetIssue,
    VoteMethod,
    VoteOption,
    VoteRound,
    letter,
)
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Cap, Role, membership_can, role_can

MIN_OPTIONS, MAX_OPTIONS = 2, 30
MAX_GUEST_SHEETS = 1000
# Statuses an observer (funders, partners) may see: what the community has settled on.
PUBLIC_STATUSES = (NeedStatus.CONFIRMED, NeedStatus.BEING_ADDRESSED, NeedStatus.MET)
EVIDENCE_TYPES = ("saved_analysis", "memo", "interview", "household", "village", "meeting")
MAX_EVIDENCE_CHOICES = 100
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def set_status(need: Need, status: NeedStatus, reason: str = "") -> bool:
    """Move a need to `status` (audited); False if it was already there.

    Other features call this too: an initiative answering a need moves it to
    "being addressed", completing it may mark the need "met".
    """
    if need.status == status:
        return False
    old = need.status
    need.status = status
    if status == NeedStatus.DECLINED:
        need.declined_reason = reason
    audit.record(
        "need_status_changed",
        need,
        project=need.project_id,
        details={"from": old.value, "to": status.value},
    )
    return True


# --- needs -----------------------------------------------------------------------------------


def sees_all_needs(membership: Membership | None) -> bool:
    return membership_can(membership, Cap.PROPOSE_NEEDS)


def needs_query(
    project: Project,
    membership: Membership | None,
    status: NeedStatus | None = None,
    category: NeedCategory | None = None,
):
    query = select(Need).where(Need.project_id == project.id)
    if not sees_all_needs(membership):
        query = query.where(Need.status.in_(PUBLIC_STATUSES))
    if status is not None:
        query = query.where(Need.status == status)
    if category is not None:
        query = query.where(Need.category == category)
    return query.order_by(Need.updated_at.desc(), Need.id.desc())


def get_need(project: Project, need_id: int, membership: Membership | None) -> Need | None:
    need = db.session.get(Need, need_id)
    if need is None or need.project_id != project.id:
        return None
    if not sees_all_needs(membership) and need.status not in PUBLIC_STATUSES:
        return None
    return need


def villages_of(project: Project, ids: list[int]) -> list[Village]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Village).where(Village.project_id == project.id, Village.id.in_(ids))
        )
    )


def create_need(project: Project, data: dict[str, Any], by: Any) -> Need:
    need = Need(
        project_id=project.id,
        title=data["title"].strip(),
        description=data.get("description") or "",
        category=NeedCategory(data["category"]),
        proposed_by_id=getattr(by, "id", None),
    )
    need.villages = villages_of(project, data.get("village_ids") or [])
    db.session.add(need)
    db.session.flush()
    audit.record("need_proposed", need, project=project.id)
    return need


def update_need(need: Need, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in ("title", "description"):
        value = (data.get(name) or "").strip() if name == "title" else data.get(name) or ""
        if getattr(need, name) != value:
            setattr(need, name, value)
            changed.append(name)
    category = NeedCategory(data["category"])
    if need.category != category:
        need.category = category
        changed.append("category")
    villages = villages_of(db.session.get(Project, need.project_id), data.get("village_ids") or [])
    if {v.id for v in villages} != {v.id for v in need.villages}:
        need.villages = villages
        changed.append("villages")
    if changed:
        audit.record("need_edited", need, project=need.project_id, details={"fields": changed})
    return changed


def may_edit_need(need: Need, membership: Membership | None, user: Any) -> bool:
    """Coordinators and researchers; the proposer while the need is still only proposed."""
    if membership_can(membership, Cap.MANAGE_VOTES):
        return True
    return (
        membership_can(membership, Cap.PROPOSE_NEEDS)
        and need.proposed_by_id == getattr(user, "id", None)
        and need.status == NeedStatus.PROPOSED
    )


def evidence(need: Need, membership: Membership | None) -> list[links.Linked]:
    return links.targets_of(need, membership, "evidence")


def linked_from(need: Need, membership: Membership | None) -> list[links.Linked]:
    """Records pointing at the need other than meetings (e.g. initiatives answering it)."""
    return [
        linked
        for linked in links.sources_of(need, membership)
        if linked.type.name not in ("meeting", "vote_round")
    ]


def evidence_choices(project: Project, membership: Membership) -> list[tuple[str, list]]:
    """(kind label, [("type:id", label)]) of records this member may cite as evidence."""
    return links.choices(project.id, membership, EVIDENCE_TYPES, MAX_EVIDENCE_CHOICES)


def resolve_evidence(project: Project, membership: Membership, value: str) -> Any | None:
    return links.resolve_choice(project.id, membership, EVIDENCE_TYPES, value)


def add_evidence(need: Need, record: Any, by: Any) -> None:
    links.add(need, record, "evidence", by=by)


def remove_evidence(need: Need, record: Any) -> bool:
    return links.remove(need, record, "evidence")


def rounds_of_need(need: Need) -> list[VoteRound]:
    return list(
        db.session.scalars(
            select(VoteRound)
            .join(VoteOption, VoteOption.round_id == VoteRound.id)
            .where(VoteOption.need_id == need.id)
            .order_by(VoteRound.opens_at.desc())
        )
    )


# --- vote rounds -----------------------------------------------------------------------------


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


def state(vote: VoteRound, now: datetime | None = None) -> str:
    """ "scheduled", "open" or "closed" (closed by hand, or its closing time has passed)."""
    now = now or utcnow()
    if vote.closed_at is not None or now >= vote.closes_at:
        return "closed"
    return "open" if now >= vote.opens_at else "scheduled"


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


def open_rounds(project: Project) -> list[VoteRound]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(VoteRound).where(
                VoteRound.project_id == project.id,
                VoteRound.closed_at.is_(None),
                VoteRound.opens_at <= now,
                VoteRound.closes_at > now,
            )
        )
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
    if meeting_id is not None:
        from cbpar.meetings import services as meetings

        if meetings.get_meeting(project, int(meeting_id)) is None:
            raise RoundError("unknown meeting")
    method = VoteMethod(data["method"])
    limit = data.get("approval_limit") or None
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
            set_status(need, NeedStatus.SHORTLISTED)
    audit.record("vote_round_created", vote, project=project.id)
    return vote


def may_vote(vote: VoteRound, membership: Membership | None) -> bool:
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
    from cbpar.auth.models import User

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


def _lock_open_round(vote: VoteRound) -> None:
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


def voter_key(vote_id: int, user_id: int) -> str:
    """An HMAC of the round and user: one ballot per voter, no user id on the ballot."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"ballot:{vote_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def new_receipt() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def option_ids(vote: VoteRound) -> list[int]:
    return [o.need_id for o in vote.options]


def check_choices(vote: VoteRound, choices: Any) -> list[int]:
    """The ballot as need ids, or BallotError naming the problem."""
    if not isinstance(choices, list | tuple) or not choices:
        raise BallotError("empty ballot: rank (or approve) at least one need")
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
        raise BallotError(f"approve at most {vote.approval_limit} needs")
    return out


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
    if not may_vote(vote, membership):
        raise NotEligible()
    ranked = check_choices(vote, choices)
    _lock_open_round(vote)
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
    _lock_open_round(vote)
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
    if membership.project_id != vote.project_id or not may_vote(vote, membership):
        raise SheetError(_("This member may not vote in this round."))
    _lock_open_round(vote)
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
    _lock_open_round(vote)
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
    _lock_open_round(vote)
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


def ballots_cast(vote: VoteRound) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(Ballot.round_id == vote.id)) or 0


def _choices(vote: VoteRound) -> list[list[int]]:
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
        options, _choices(vote), approval_ballots=approval, approve_top=vote.approval_limit
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
    return True


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
    ballots = _choices(vote)
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


@dataclass
class Confirmed:
    needs: list[Need]
    decision: Any | None


def confirm_top(vote: VoteRound, need_ids: list[int], by: Any) -> Confirmed:
    """Mark chosen needs of a closed round confirmed, recorded as a decision of its meeting."""
    if not is_closed(vote):
        raise RoundError("the round is still open")
    allowed = set(option_ids(vote))
    chosen = [i for i in dict.fromkeys(need_ids) if i in allowed]
    if not chosen:
        raise RoundError("choose at least one need to confirm")
    needs = [db.session.get(Need, i) for i in chosen]
    for need in needs:
        set_status(need, NeedStatus.CONFIRMED)
    vote.confirmed_at = utcnow()
    decision = None
    if vote.meeting_id is not None:
        from cbpar.meetings import services as meetings
        from cbpar.meetings.models import Meeting

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
