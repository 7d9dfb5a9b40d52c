"""needs register and vote rounds

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 03:26:32.847640
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "education",
                "childcare",
                "health",
                "safety",
                "family_contact",
                "livelihood",
                "other",
                name="needcategory",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "shortlisted",
                "confirmed",
                "being_addressed",
                "met",
                "declined",
                name="needstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("declined_reason", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_need_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["user.id"],
            name=op.f("fk_need_proposed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need")),
    )
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_project_id"), ["project_id"], unique=False)
    op.create_table(
        "need_village",
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_need_village_need_id_need"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
            name=op.f("fk_need_village_village_id_village"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("need_id", "village_id", name=op.f("pk_need_village")),
    )
    op.create_table(
        "vote_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "borda",
                "schulze",
                "irv",
                "approval",
                name="votemethod",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("approval_limit", sa.Integer(), nullable=True),
        sa.Column("eligible_roles", sa.JSON(), nullable=False),
        sa.Column("paper_ballots", sa.Boolean(), nullable=False),
        sa.Column("opens_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", cbpar.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("confirmed_at", cbpar.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_vote_round_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_vote_round_meeting_id_meeting"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_vote_round_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_round")),
    )
    with op.batch_alter_table("vote_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_round_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_round_project_id"), ["project_id"], unique=False)
    op.create_table(
        "ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=True),
        sa.Column("sheet_number", sa.Integer(), nullable=True),
        sa.Column("receipt", sa.String(length=16), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["vote_round.id"],
            name=op.f("fk_ballot_round_id_vote_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("round_id", "receipt", name=op.f("uq_ballot_round_id_receipt")),
        sa.UniqueConstraint(
            "round_id", "sheet_number", name=op.f("uq_ballot_round_id_sheet_number")
        ),
        sa.UniqueConstraint("round_id", "voter_key", name=op.f("uq_ballot_round_id_voter_key")),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_round_id"), ["round_id"], unique=False)
    op.create_table(
        "vote_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_vote_option_need_id_need"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["vote_round.id"],
            name=op.f("fk_vote_option_round_id_vote_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_option")),
        sa.UniqueConstraint("round_id", "need_id", name=op.f("uq_vote_option_round_id_need_id")),
        sa.UniqueConstraint("round_id", "position", name=op.f("uq_vote_option_round_id_position")),
    )
    with op.batch_alter_table("vote_option", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_option_need_id"), ["need_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vote_option", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_option_need_id"))
    op.drop_table("vote_option")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_round_id"))
    op.drop_table("ballot")
    with op.batch_alter_table("vote_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_round_project_id"))
        batch_op.drop_index(batch_op.f("ix_vote_round_meeting_id"))
    op.drop_table("vote_round")
    op.drop_table("need_village")
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_project_id"))
    op.drop_table("need")
