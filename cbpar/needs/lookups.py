"""Small reads the needs and vote pages make: what a new round can be about and held at,
a round's meeting, a need's proposer, a member picked on the sign-in list."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.db import db
from cbpar.meetings import services as meetings
from cbpar.meetings.models import Meeting
from cbpar.needs.models import Need, NeedStatus, VoteRound
from cbpar.projects.models import Membership, Project

RECENT_MEETINGS = 50


def round_needs(project: Project) -> list[Need]:
    """Needs a vote round can ask about (all but those already met or declined), by title."""
    return list(
        db.session.scalars(
            select(Need)
            .where(
                Need.project_id == project.id,
                Need.status.not_in((NeedStatus.MET, NeedStatus.DECLINED)),
            )
            .order_by(Need.title)
        )
    )


def recent_meetings(project: Project) -> list[Meeting]:
    """Meetings a round can be held at: the latest ones first."""
    query = meetings.meetings_query(project).order_by(None).order_by(Meeting.starts_at.desc())
    return list(db.session.scalars(query.limit(RECENT_MEETINGS)))


def meeting_of(vote: VoteRound) -> Meeting | None:
    return db.session.get(Meeting, vote.meeting_id) if vote.meeting_id else None


def proposer_of(need: Need) -> User | None:
    return db.session.get(User, need.proposed_by_id) if need.proposed_by_id else None


def project_member(project: Project, membership_id: str) -> Membership | None:
    """The membership a form names by id, if it is one of this project's."""
    member = db.session.get(Membership, int(membership_id)) if membership_id.isdigit() else None
    return member if member is not None and member.project_id == project.id else None
