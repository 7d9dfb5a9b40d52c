"""The needs register and the vote rounds that rank needs, with their (secret) ballots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Authored, Base, CreatedMixin, ProjectScoped, Versioned, str_enum, utcnow
from cbpar.enums import LabelledEnum
from cbpar.projects.models import Village


class NeedCategory(LabelledEnum):
    EDUCATION = "education", _l("Education")
    CHILDCARE = "childcare", _l("Childcare")
    HEALTH = "health", _l("Health")
    SAFETY = "safety", _l("Safety")
    FAMILY_CONTACT = "family_contact", _l("Family contact")
    LIVELIHOOD = "livelihood", _l("Livelihood")
    OTHER = "other", _l("Other")


class NeedStatus(LabelledEnum):
    PROPOSED = "proposed", _l("Proposed")
    SHORTLISTED = "shortlisted", _l("Shortlisted")
    CONFIRMED = "confirmed", _l("Confirmed")
    BEING_ADDRESSED = "being_addressed", _l("Being addressed")
    MET = "met", _l("Met")
    DECLINED = "declined", _l("Declined")


need_village = Table(
    "need_village",
    Base.metadata,
    Column("need_id", ForeignKey("need.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("village.id", ondelete="CASCADE"), primary_key=True),
)


class Need(ProjectScoped, Versioned, CreatedMixin, Base):
    __tablename__ = "need"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    category: Mapped[NeedCategory] = mapped_column(str_enum(NeedCategory))
    status: Mapped[NeedStatus] = mapped_column(str_enum(NeedStatus), default=NeedStatus.PROPOSED)
    declined_reason: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    villages: Mapped[list[Village]] = relationship(secondary=need_village, order_by=Village.name)


class VoteMethod(LabelledEnum):
    BORDA = (
        "borda",
        _l("Borda count"),
        _l(
            "Each need gets one point for every need a ballot ranks below it, half a point for "
            "each need tied with it. Unranked needs share the points left equally."
        ),
    )
    SCHULZE = (
        "schulze",
        _l("Schulze (Condorcet)"),
        _l(
            "Needs are compared in pairs: how many ballots rank one above the other. The winner "
            "beats every other need by its strongest chain of pairwise wins."
        ),
    )
    IRV = (
        "irv",
        _l("Instant-runoff"),
        _l(
            "Each ballot counts for its highest-ranked need still in the count; the need with the "
            "fewest votes is eliminated, round by round. Ties: the need with fewer votes in the "
            "latest earlier round where they differed goes; if they were always level, all go."
        ),
    )
    APPROVAL = (
        "approval",
        _l("Approval"),
        _l("Each ballot approves some needs; the need approved most wins."),
    )


# What each method rewards, in one plain sentence (the new round form and the voting guide).
METHOD_REWARDS = {
    VoteMethod.BORDA: _l(
        "Rewards needs that many people rank high, even if few put them first: a broad favourite."
    ),
    VoteMethod.SCHULZE: _l(
        "Rewards the need that wins when it is compared with each other need, one pair at a time."
    ),
    VoteMethod.IRV: _l(
        "Rewards the need most people put first, once the needs with the least support drop out "
        "one by one."
    ),
    VoteMethod.APPROVAL: _l(
        "Rewards the need the most people support at all; the order does not count."
    ),
}


class RoundState(LabelledEnum):
    """Where a vote round stands: worked out from its times and `closed_at`, never stored."""

    SCHEDULED = "scheduled", _l("Not open yet")
    OPEN = "open", lazy_pgettext("vote round", "Open")  # 进行中, not an action item's 未完成
    CLOSED = "closed", lazy_pgettext("vote round", "Closed")  # 已结束, not a facility's 已关闭


class VoteRound(ProjectScoped, Authored, CreatedMixin, Base):
    """A needs-ranking vote: its options, who may vote, when, and (once closed) its count."""

    __tablename__ = "vote_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    method: Mapped[VoteMethod] = mapped_column(str_enum(VoteMethod))
    approval_limit: Mapped[int | None]  # approval: mark up to k (None: any number)
    eligible_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    paper_ballots: Mapped[bool] = mapped_column(default=False)
    # Paper sheets the round allows for villagers without an account (counted apart from
    # the eligible members); sheets handed to members count against the members.
    guest_sheets: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    # The count of every method, stored when the round closes (see services.close_round).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confirmed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    options: Mapped[list[VoteOption]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="VoteOption.position"
    )

    __mapper_args__ = {"version_id_col": version}


class VoteOption(Base):
    """A need on a round's ballot; `position` gives its letter on paper (0 = A)."""

    __tablename__ = "vote_option"
    __table_args__ = (
        UniqueConstraint("round_id", "need_id"),
        UniqueConstraint("round_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("vote_round.id", ondelete="CASCADE"))
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]

    round: Mapped[VoteRound] = relationship(back_populates="options")
    need: Mapped[Need] = relationship()

    @property
    def letter(self) -> str:
        return letter(self.position)


def letter(position: int) -> str:
    """A, B, ... Z, AA, AB ... for a ballot's options."""
    out = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        out = chr(65 + rest) + out
    return out


class Ballot(Base):
    """One counted ballot. It stores no user id and no time, so nothing links it to a voter.

    `voter_key` is an HMAC of the voter's user id and the round (keyed with the app's secret):
    with the unique constraint it keeps one active ballot per voter. Paper ballots have no
    voter key but a sheet number, unique in the round.
    """

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("round_id", "voter_key"),
        UniqueConstraint("round_id", "sheet_number"),
        UniqueConstraint("round_id", "receipt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("vote_round.id", ondelete="CASCADE"), index=True
    )
    voter_key: Mapped[str | None] = mapped_column(String(64))
    sheet_number: Mapped[int | None]
    receipt: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list[int]] = mapped_column(JSON, default=list)  # need ids, best first


class PaperSheetIssue(Base):
    """One paper ballot sheet handed out at the meeting, from the printed sign-in list.

    A member's row (`user_id`, unique in the round) means that member took a sheet and can no
    longer vote online; a guest's row (`guest`, no user) is a sheet for a villager without an
    account. Nothing ties a sheet issued to a sheet number or a ballot: the ballot stays secret.
    Paper ballots entered can never outnumber the sheets issued.
    """

    __tablename__ = "paper_sheet_issue"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("vote_round.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    guest: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
