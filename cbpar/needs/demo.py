"""Demo needs and the closed needs-ranking vote of the final community meeting.

The seed study's needs (a kindergarten in Shuanghe, 10 km from the nearest one; social-work
services in the primary school) and three more, with evidence links; a closed vote by the five
committee members plus three paper ballots, where the kindergarten comes first. Safe to load
again: needs are added by title, the round only if none of that title exists. `load_states`
adds needs in the other statuses and an open round (a later demo step).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cbpar import links
from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.mapping.models import SavedAnalysis
from cbpar.meetings.models import Meeting
from cbpar.memos.models import Memo
from cbpar.needs import ballots, paper_ballots, services, vote_rounds
from cbpar.needs.models import (
    Ballot,
    Need,
    NeedCategory,
    NeedStatus,
    PaperSheetIssue,
    VoteMethod,
    VoteRound,
)
from cbpar.projects.models import Membership, Project

ROUND_TITLE = "Ranking the community's most pressing needs"
MEETING_TITLE = "Community meeting: confirming the most pressing needs"

NEEDS = [
    (
        "kg",
        "A kindergarten in Shuanghe village",
        NeedCategory.CHILDCARE,
        ["SH"],
        "The nearest kindergarten is **about 10 km away**, in the town. Grandparents caring "
        "for children under six cannot walk them there, so most of these children stay home "
        "until primary school.\n\nThe community offers to hire a teacher if a room is found.",
    ),
    (
        "sw",
        "Social-work services in the primary school",
        NeedCategory.EDUCATION,
        ["SH", "LS"],
        "Teachers see left-behind children who are withdrawn or in conflict with their "
        "caregivers, and have no one to refer them to. A social worker at the school, two "
        "days a week, could run groups and casework.",
    ),
    (
        "tutor",
        "After-school tutoring (a '4:30 classroom')",
        NeedCategory.EDUCATION,
        ["SH"],
        "School ends at 16:30; grandparents cannot help with homework. Volunteers could run "
        "a supervised homework room until parents' calls in the evening.",
    ),
    (
        "calls",
        "Weekly video calls with parents working in cities",
        NeedCategory.FAMILY_CONTACT,
        ["SH", "LS"],
        "Several families have no smartphone at home; children speak with their parents "
        "only at the Spring Festival. A shared device at the social-work station would help.",
    ),
    (
        "road",
        "A safe winter road to the town school",
        NeedCategory.SAFETY,
        ["LS"],
        "The road from Liangshui to the town is icy from December to March and has no "
        "lighting; older children walk it before dawn.",
    ),
]

# Committee members' rankings and the paper sheets, by the keys above.
ONLINE = {
    "committee1": ["kg", "sw", "tutor", "calls", "road"],
    "committee2": ["kg", "tutor", "sw"],
    "committee3": ["sw", "kg", "calls"],
    "committee4": ["kg", "sw", "road", "tutor"],
    "committee5": ["tutor", "kg", "sw"],
}
PAPER = {1: ["kg", "calls"], 2: ["sw", "kg", "tutor", "calls", "road"], 3: ["kg", "sw"]}

EVIDENCE = {
    "kg": ["Distance to kindergarten: first findings", "Field note: the road to town in winter"],
    "sw": ["Reflection after the first village visit", "隔代照料与留守儿童"],
    "road": ["Field note: the road to town in winter"],
}


def _needs(project: Project) -> dict[str, Need]:
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    villages = {v.code: v for v in project.villages}
    found = {}
    for key, title, category, codes, description in NEEDS:
        need = db.session.scalar(
            select(Need).where(Need.project_id == project.id, Need.title == title)
        )
        if need is None:
            need = Need(
                project_id=project.id,
                title=title,
                description=description,
                category=category,
                proposed_by_id=coordinator.id if coordinator else None,
            )
            need.villages = [villages[c] for c in codes if c in villages]
            db.session.add(need)
            db.session.flush()
        found[key] = need
    return found


def _evidence(project: Project, needs: dict[str, Need]) -> None:
    for key, titles in EVIDENCE.items():
        for title in titles:
            memo = db.session.scalar(
                select(Memo).where(Memo.project_id == project.id, Memo.title == title)
            )
            if memo is not None:
                links.add(needs[key], memo, "evidence")
    try:
        analysis = db.session.scalar(
            select(SavedAnalysis).where(SavedAnalysis.project_id == project.id).limit(1)
        )
        if analysis is not None:
            links.add(needs["kg"], analysis, "evidence")
    except ImportError:  # pragma: no cover - the map feature always exists
        pass
    for need in needs.values():
        for village in need.villages:
            links.add(need, village, "evidence")


def _round(project: Project, needs: dict[str, Need]) -> None:
    if db.session.scalar(
        select(VoteRound.id).where(
            VoteRound.project_id == project.id, VoteRound.title == ROUND_TITLE
        )
    ):
        return

    meeting = db.session.scalar(
        select(Meeting).where(Meeting.project_id == project.id, Meeting.title == MEETING_TITLE)
    )
    tz = ZoneInfo(project.timezone)
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    vote = vote_rounds.create_round(
        project,
        {
            "title": ROUND_TITLE,
            "description": "Each committee member ranks the needs raised during the study. "
            "Villagers without an account filled in paper ballots at the meeting.",
            "method": VoteMethod.SCHULZE.value,
            "need_ids": [n.id for n in needs.values()],
            "eligible_roles": ["committee"],
            "paper_ballots": True,
            "guest_sheets": len(PAPER),
            "opens_at": datetime(2020, 1, 11, 10, 30, tzinfo=tz),
            "closes_at": datetime(2020, 1, 11, 12, 0, tzinfo=tz),
            "meeting_id": meeting.id if meeting else None,
        },
        coordinator,
    )
    for username, order in ONLINE.items():
        user = db.session.scalar(select(User).where(User.username == username))
        if (
            user is None
            or db.session.scalar(
                select(Membership.id).where(
                    Membership.project_id == project.id, Membership.user_id == user.id
                )
            )
            is None
        ):
            continue
        db.session.add(
            Ballot(
                round_id=vote.id,
                voter_key=ballots.voter_key(vote.id, user.id),
                receipt=ballots.new_receipt(),
                choices=[needs[k].id for k in order],
            )
        )
    # One guest sheet handed out (sign-in list) for each paper ballot entered.
    db.session.add_all(
        PaperSheetIssue(
            round_id=vote.id,
            guest=True,
            issued_at=datetime(2020, 1, 11, 10, 35, tzinfo=tz),
            issued_by_id=coordinator.id if coordinator else None,
        )
        for _sheet in PAPER
    )
    for sheet, order in PAPER.items():
        db.session.add(
            Ballot(
                round_id=vote.id,
                sheet_number=sheet,
                receipt=f"P-{sheet}",
                choices=[needs[k].id for k in order],
            )
        )
    db.session.flush()
    vote_rounds.close_round(vote, coordinator)
    vote_rounds.confirm_top(vote, [needs["kg"].id, needs["sw"].id], coordinator)


def load(project: Project) -> None:
    needs = _needs(project)
    _evidence(project, needs)
    _round(project, needs)


# --- states a newcomer should see too: more need statuses and an open vote round ------------

OPEN_ROUND_TITLE = "Which need comes next? Vote before the spring meeting"
MORE_NEEDS = [
    # title, category, villages, proposer, status, declined reason, description
    (
        "A reading corner in the Liangshui village committee office",
        NeedCategory.EDUCATION,
        ["LS"],
        "committee3",
        NeedStatus.PROPOSED,
        "",
        "Children wait for the school bus in the office on cold mornings; a shelf of books "
        "and a table would turn the wait into reading time.",
    ),
    (
        "A counsellor visiting the primary school each month",
        NeedCategory.HEALTH,
        ["SH"],
        "researcher",
        NeedStatus.CONFIRMED,
        "",
        "Teachers asked for someone trained to talk with children who miss their parents.",
    ),
    (
        "Cash allowances for grandparent caregivers",
        NeedCategory.LIVELIHOOD,
        ["SH", "LS"],
        "committee4",
        NeedStatus.DECLINED,
        "Beyond what the project can do; passed on to the Banner civil affairs bureau.",
        "Grandparents raising grandchildren alone asked for help with the costs.",
    ),
]


def load_states(project: Project) -> None:
    """Needs proposed, confirmed and declined, and an open round: committee1 voted online,
    committee2 took a paper sheet, the other members have still to vote. Safe to load again."""
    villages = {v.code: v.id for v in project.villages}
    users = {u.username: u for u in db.session.scalars(select(User))}
    for title, category, codes, proposer, status, reason, description in MORE_NEEDS:
        if db.session.scalar(
            select(Need.id).where(Need.project_id == project.id, Need.title == title)
        ):
            continue
        need = services.create_need(
            project,
            {"title": title, "category": category.value, "description": description,
             "village_ids": [villages[c] for c in codes if c in villages]},
            users.get(proposer),
        )  # fmt: skip
        if status != NeedStatus.PROPOSED:
            services.set_status(need, status, reason)
    _open_round(project, users)


def _open_round(project: Project, users: dict[str, User]) -> None:
    if db.session.scalar(
        select(VoteRound.id).where(
            VoteRound.project_id == project.id, VoteRound.title == OPEN_ROUND_TITLE
        )
    ):
        return
    on_ballot = list(
        db.session.scalars(
            select(Need)
            .where(Need.project_id == project.id, Need.status == NeedStatus.SHORTLISTED)
            .order_by(Need.id)
        )
    )
    coordinator = users.get("coordinator")
    if len(on_ballot) < 2 or coordinator is None:
        return
    now = utcnow()
    vote = vote_rounds.create_round(
        project,
        {
            "title": OPEN_ROUND_TITLE,
            "description": "The needs the first round left open. Committee members vote "
            "online or take a paper sheet at the village office.",
            "method": VoteMethod.BORDA.value,
            "need_ids": [n.id for n in on_ballot],
            "eligible_roles": ["committee"],
            "paper_ballots": True,
            "opens_at": now - timedelta(days=2),
            "closes_at": now + timedelta(days=60),
        },
        coordinator,
    )
    members = {
        m.user.username: m
        for m in db.session.scalars(select(Membership).where(Membership.project_id == project.id))
    }
    if "committee1" in members:
        ballots.cast_ballot(vote, members["committee1"], [n.id for n in reversed(on_ballot)])
    if "committee2" in members:
        paper_ballots.issue_sheet(vote, members["committee2"], coordinator)
    db.session.flush()
