"""paper sheets issued (the sign-in list) and guest sheets allowed per vote round

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 12:00:00.000000

Paper ballots now need a sheet handed out first: to an eligible member (who then cannot vote
online) or to a guest, up to the round's allowance. Paper ballots entered before this revision
were from villagers without an account, so each becomes an issued guest sheet and the round
allows exactly that many guests: old rounds count the same and stay consistent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vote_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("guest_sheets", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )

    op.create_table(
        "paper_sheet_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("guest", sa.Boolean(), nullable=False),
        sa.Column("issued_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["user.id"],
            name=op.f("fk_paper_sheet_issue_issued_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["vote_round.id"],
            name=op.f("fk_paper_sheet_issue_round_id_vote_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_paper_sheet_issue_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_sheet_issue")),
        sa.UniqueConstraint(
            "round_id", "user_id", name=op.f("uq_paper_sheet_issue_round_id_user_id")
        ),
    )
    with op.batch_alter_table("paper_sheet_issue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_paper_sheet_issue_round_id"), ["round_id"], unique=False
        )

    # Existing paper ballots: one issued guest sheet each, and as many guests allowed.
    ballot = sa.table(
        "ballot", sa.column("round_id", sa.Integer()), sa.column("sheet_number", sa.Integer())
    )
    vote_round = sa.table(
        "vote_round",
        sa.column("id", sa.Integer()),
        sa.column("guest_sheets", sa.Integer()),
        sa.column("opens_at"),
        sa.column("created_by_id", sa.Integer()),
    )
    issue = sa.table(
        "paper_sheet_issue",
        sa.column("round_id", sa.Integer()),
        sa.column("user_id", sa.Integer()),
        sa.column("guest", sa.Boolean()),
        sa.column("issued_at"),
        sa.column("issued_by_id", sa.Integer()),
    )
    paper = sa.and_(ballot.c.round_id == vote_round.c.id, ballot.c.sheet_number.is_not(None))
    op.execute(
        vote_round.update().values(
            guest_sheets=sa.select(sa.func.count())
            .select_from(ballot)
            .where(paper)
            .scalar_subquery()
        )
    )
    op.execute(
        issue.insert().from_select(
            ["round_id", "user_id", "guest", "issued_at", "issued_by_id"],
            sa.select(
                ballot.c.round_id,
                sa.null(),
                sa.true(),
                vote_round.c.opens_at,
                vote_round.c.created_by_id,
            )
            .select_from(ballot.join(vote_round, ballot.c.round_id == vote_round.c.id))
            .where(ballot.c.sheet_number.is_not(None))
            .order_by(ballot.c.round_id, ballot.c.sheet_number),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("paper_sheet_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_sheet_issue_round_id"))
    op.drop_table("paper_sheet_issue")

    with op.batch_alter_table("vote_round", schema=None) as batch_op:
        batch_op.drop_column("guest_sheets")
