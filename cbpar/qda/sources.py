"""What can be coded, and the one rule of who may see a source (and so its codings).

A source is the stored text of an interview's notes, a memo (a reflection is a memo of that
kind), a meeting's minutes (named by the meeting's id, as search names them) or a contact's
summary. Each feature's own services decide who sees its records; this module only asks them,
in two forms that must agree (a test checks): `can_see(membership, source)` for one source,
and `visible_rows(project, membership)` as SQL, for retrieval, counts and exports. A source
whose consent was withdrawn is invisible to everyone, so its passages leave every output at
once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from sqlalchemy import Boolean, Integer, String, case, cast, false, literal, null, select, union_all
from sqlalchemy.sql import Select

from cbpar.care import services as care
from cbpar.care.models import Child, ContactLog
from cbpar.db import db
from cbpar.interviews import services as interviews
from cbpar.interviews.models import Interview
from cbpar.mapping.models import Household
from cbpar.meetings.models import Meeting, Minutes
from cbpar.memos import services as memos
from cbpar.memos.models import Memo, MemoKind, Visibility
from cbpar.security import Cap, membership_can


@dataclass
class Source:
    kind: str  # stored kind: interview, memo, minutes, contact
    id: int
    record: Any
    text: str  # the stored text that offsets count in
    title: str
    on: date | None
    village_id: int | None = None
    household_id: int | None = None

    @property
    def shown_kind(self) -> str:
        """The kind of source a reader sees: a reflection note is a "reflection"."""
        if self.kind == "memo" and self.record.kind == MemoKind.REFLECTION_NOTE:
            return "reflection"
        return self.kind

    def url(self, slug: str) -> str:
        return source_url(self.kind, self.id, slug, child_id=getattr(self.record, "child_id", 0))


def source_url(kind: str, source_id: int, slug: str, child_id: int = 0) -> str:
    if kind == "interview":
        return url_for("interviews.view", slug=slug, interview_id=source_id)
    if kind == "memo":
        return url_for("memos.view", slug=slug, memo_id=source_id)
    if kind == "minutes":
        return url_for("meetings.meeting", slug=slug, meeting_id=source_id)
    return url_for("care.child", slug=slug, child_id=child_id)


def _day(value: datetime | date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def load(project: Any, kind: str, source_id: int) -> Source | None:
    """The source of that kind and id in this project, whoever may see it (None if none)."""
    if kind == "reflection":
        kind = "memo"
    if kind == "interview":
        interview = db.session.get(Interview, source_id)
        if interview is None or interview.project_id != project.id:
            return None
        household = interview.household
        return Source(
            kind, source_id, interview, interview.notes, interview.label, interview.held_on,
            household.village_id if household else None, interview.household_id,
        )  # fmt: skip
    if kind == "memo":
        memo = db.session.get(Memo, source_id)
        if memo is None or memo.project_id != project.id:
            return None
        return Source(kind, source_id, memo, memo.body, memo.title, _day(memo.created_at))
    if kind == "minutes":
        meeting = db.session.get(Meeting, source_id)
        if meeting is None or meeting.project_id != project.id or meeting.minutes is None:
            return None
        return Source(
            kind, source_id, meeting, meeting.minutes.body, meeting.title,
            _day(meeting.starts_at), meeting.village_id,
        )  # fmt: skip
    if kind == "contact":
        contact = care.get_contact(project, source_id)
        if contact is None:
            return None
        household = contact.child.household
        return Source(
            kind, source_id, contact, contact.summary,
            f"{contact.child.code} · {contact.kind.label}", contact.on,
            household.village_id, household.id,
        )  # fmt: skip
    return None


def can_see(membership: Any, source: Source) -> bool:
    """May this member see this source's text, and so its codes and quotes?

    Interviews: the interview feature's rule (field roles; family interviews only with
    household details) and never after consent was withdrawn. Memos: the memo feature's rule
    (team, community, or the author's private memo). Minutes: members who read meetings; for
    members who do not see the team's writing (committee), approved minutes only. Contact
    summaries: roles that see children, never after the child's consent was withdrawn."""
    if membership is None or source.record is None:
        return False
    record = source.record
    if source.kind == "interview":
        return interviews.content_visible(membership, record)
    if source.kind == "memo":
        return memos.can_see(membership, record)
    if source.kind == "minutes":
        if not membership_can(membership, Cap.READ_MEETINGS) or record.minutes is None:
            return False
        return record.minutes.approved or membership_can(membership, Cap.SEE_TEAM_MEMOS)
    if source.kind == "contact":
        return care.can_see(membership, record.child) and not record.child.withdrawn
    return False


def get_visible(project: Any, membership: Any, kind: str, source_id: int) -> Source | None:
    source = load(project, kind, source_id)
    if source is None or not can_see(membership, source):
        return None
    if kind == "reflection" and source.shown_kind != "reflection":
        return None
    return source


def may_code(membership: Any, source: Source) -> bool:
    """Coding is for the roles that write memos, on sources they see."""
    return membership_can(membership, Cap.WRITE_MEMOS) and can_see(membership, source)


def publishable(source: Source) -> bool:
    """May quotes of this source appear in a publication? An interview: when its consent
    covers quotes in publications. A memo: when shared with the community. Minutes: once
    approved. A contact summary (about a child): never."""
    if source.kind == "interview":
        return bool(source.record.covers_quotes) and not source.record.withdrawn
    if source.kind == "memo":
        return source.record.visibility == Visibility.COMMUNITY
    if source.kind == "minutes":
        return source.record.minutes is not None and source.record.minutes.approved
    return False


# --- the same rule as SQL ----------------------------------------------------------------------


def _columns(kind, id_, village, household, interview_kind, shown, publishable_) -> list[Any]:
    return [
        literal(kind, String).label("kind"),
        id_.label("id"),
        cast(village, Integer).label("village_id"),
        cast(household, Integer).label("household_id"),
        cast(interview_kind, String).label("interview_kind"),
        cast(shown, String).label("shown_kind"),
        cast(publishable_, Boolean).label("publishable"),
    ]


def visible_rows(project: Any, membership: Any) -> Any:
    """SQL: one row per source this member may see (kind, id, village_id, household_id,
    interview_kind, shown_kind, publishable); the same rule as `can_see`."""
    parts: list[Select] = []
    if interviews.can_see(membership, None):
        listed = interviews.list_query(project, membership)
        parts.append(
            listed.with_only_columns(
                *_columns(
                    "interview", Interview.id, Household.village_id, Interview.household_id,
                    Interview.kind, literal("interview"), Interview.covers_quotes,
                )
            )
            .outerjoin(Household, Household.id == Interview.household_id)
            .where(Interview.withdrawn_at.is_(None))
            .order_by(None)
            .options()
        )  # fmt: skip
    if membership_can(membership, Cap.SEE_COMMUNITY_MEMOS):
        reflection = case((Memo.kind == MemoKind.REFLECTION_NOTE, "reflection"), else_="memo")
        parts.append(
            select(
                *_columns(
                    "memo", Memo.id, null(), null(), null(), reflection,
                    Memo.visibility == Visibility.COMMUNITY,
                )
            ).where(Memo.project_id == project.id, memos.visible_clause(membership))
        )  # fmt: skip
    if membership_can(membership, Cap.READ_MEETINGS):
        approved = Minutes.approved_at.is_not(None)
        query = (
            select(
                *_columns(
                    "minutes", Meeting.id, Meeting.village_id, null(), null(),
                    literal("minutes"), approved,
                )
            )
            .join(Minutes, Minutes.meeting_id == Meeting.id)
            .where(Meeting.project_id == project.id)
        )  # fmt: skip
        if not membership_can(membership, Cap.SEE_TEAM_MEMOS):
            query = query.where(approved)
        parts.append(query)
    if care.can_see(membership):
        parts.append(
            select(
                *_columns(
                    "contact", ContactLog.id, Household.village_id, Household.id, null(),
                    literal("contact"), false(),
                )
            )
            .join(Child, Child.id == ContactLog.child_id)
            .join(Household, Household.id == Child.household_id)
            .where(ContactLog.project_id == project.id, Child.withdrawn_at.is_(None))
        )  # fmt: skip
    if not parts:
        return select(*_columns("none", literal(0), null(), null(), null(), null(), false())).where(
            false()
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def visible_pairs(project: Any, membership: Any) -> set[tuple[str, int]]:
    """(kind, id) of every source this member sees (tests compare it with can_see)."""
    rows = db.session.execute(visible_rows(project, membership))
    return {(row.kind, row.id) for row in rows}


def texts(project: Any, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], Source]:
    """Several sources at once (a page of passages): one query per kind."""
    found: dict[tuple[str, int], Source] = {}
    by_kind: dict[str, list[int]] = {}
    for kind, source_id in pairs:
        by_kind.setdefault(kind, []).append(source_id)
    for kind, ids in by_kind.items():
        model = {"interview": Interview, "memo": Memo, "minutes": Meeting, "contact": ContactLog}[
            kind
        ]
        # Held while loading: the session's identity map keeps only weak references.
        held = list(db.session.scalars(select(model).where(model.id.in_(ids))))
        for source_id in ids:
            source = load(project, kind, source_id)
            if source is not None:
                found[(kind, source_id)] = source
        del held
    return found
