"""Needs: proposing, evidence, status changes; vote rounds, secret ballots and their count."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cbpar import audit, links
from cbpar.db import db, utcnow
from cbpar.needs import voting
from cbpar.needs.models import (
    Ballot,
    Need,
    NeedCategory,
    NeedStatus,
    VoteMethod,
    VoteOption,
    VoteRound,
    letter,
)
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Cap, Role, membership_can

MIN_OPTIONS, MAX_OPTIONS = 2, 30
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


def eligible_count(vote: VoteRound) -> int:
    if not vote.eligible_roles:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.project_id == vote.project_id,
                Membership.role.in_([Role(r) for r in vote.eligible_roles]),
            )
        )
        or 0
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
    key = voter_key(vote.id, membership.user_id)
    receipt = new_receipt()
    existing = db.session.scalar(
        select(Ballot).where(Ballot.round_id == vote.id, Ballot.voter_key == key)
    )
    if existing is None:
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
    """A facilitator types in one paper ballot; a sheet number cannot be entered twice."""
    if state(vote) != "open":
        raise RoundNotOpen()
    if not vote.paper_ballots:
        raise BallotError("this round takes no paper ballots")
    if sheet_number < 1:
        raise BallotError("sheet numbers start at 1")
    ranked = check_choices(vote, choices)
    if paper_sheet_taken(vote, sheet_number):
        raise BallotError(f"sheet {sheet_number} was already entered")
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


def ballots_cast(vote: VoteRound) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(Ballot.round_id == vote.id)) or 0


def paper_count(vote: VoteRound) -> int:
    return (
        db.session.scalar(
            select(func.count(Ballot.id)).where(
                Ballot.round_id == vote.id, Ballot.sheet_number.is_not(None)
            )
        )
        or 0
    )


def _choices(vote: VoteRound) -> list[list[int]]:
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
    if vote.closed_at is not None:
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
    return sorted(db.session.scalars(select(Ballot.receipt).where(Ballot.round_id == vote.id)))


def anonymised_ballots(vote: VoteRound) -> list[list[int]]:
    """The ballots' contents only, shuffled so their order says nothing about who voted when."""
    ballots = _choices(vote)
    random.SystemRandom().shuffle(ballots)
    return ballots


def ballots_csv(vote: VoteRound) -> str:
    """One row per ballot: the letters in order of preference (for approval: the approved)."""
    letters = {o.need_id: o.letter for o in vote.options}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["# option", "need_id", "title"])
    for option in vote.options:
        writer.writerow([option.letter, option.need_id, option.need.title])
    writer.writerow([])
    size = len(vote.options)
    writer.writerow(["ballot"] + [f"choice_{i + 1}" for i in range(size)])
    for number, ballot in enumerate(anonymised_ballots(vote), 1):
        writer.writerow([number] + [letters[i] for i in ballot] + [""] * (size - len(ballot)))
    return out.getvalue()


def ballots_preflib(vote: VoteRound, project: Project) -> tuple[str, str]:
    """PrefLib format: ".soi" (strict orders, incomplete) or ".toi" when some rank is tied.

    Approval ballots become one tied group ({a,b,c}): ".toi". Alternatives are numbered 1..n
    in ballot-letter order; identical orders are grouped with their count, as PrefLib does.
    """
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
