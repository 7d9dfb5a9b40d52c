"""Private calendar feeds: a secret link per user (only its hash is stored) listing the meetings
of every project where they may read meetings."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cbpar import audit
from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.meetings.models import CalendarFeed, Meeting
from cbpar.projects.models import Membership, Project
from cbpar.security import ROLE_CAPABILITIES, Cap, Role

FEED_PREFIX = "cbcal_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
        )
    )


def revoke_feed(user: User) -> bool:
    feed = active_feed(user)
    if feed is None:
        return False
    feed.revoked_at = utcnow()
    audit.record("calendar_feed_revoked", feed, actor=user)
    db.session.flush()
    return True


def new_feed(user: User) -> str:
    """Revoke the old feed, if any, and make a new one; the secret is returned only now."""
    revoke_feed(user)
    raw = FEED_PREFIX + secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user.id, token_hash=_digest(raw), prefix=raw[:12])
    db.session.add(feed)
    db.session.flush()
    audit.record("calendar_feed_created", feed, actor=user)
    return raw


def user_for_feed(raw: str) -> User | None:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _digest(raw)))
    if feed is None or feed.revoked_at is not None or not feed.user.is_active:
        return None
    return feed.user


def feed_meetings(user: User) -> list[tuple[Project, Meeting]]:
    """Meetings of every project where this user may read meetings."""
    readers = [r for r in Role if Cap.READ_MEETINGS in ROLE_CAPABILITIES[r]]
    rows = db.session.execute(
        select(Project, Meeting)
        .join(Meeting, Meeting.project_id == Project.id)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user.id, Membership.role.in_(readers))
        .options(joinedload(Meeting.village))
        .order_by(Meeting.starts_at)
    )
    return [(p, m) for p, m in rows]
