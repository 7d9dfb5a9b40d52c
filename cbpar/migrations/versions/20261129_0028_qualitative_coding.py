"""qualitative coding: codes, code book and coded passages

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-29 16:30:00

Two new tables, no change to existing ones: whether an interview's quotes may be published is
its consent's `covers_quotes` ("quotes in publications"), already recorded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cbpar.db import UTCDateTime

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qda_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("example", sa.Text(), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_qda_code_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["qda_code.id"],
            name=op.f("fk_qda_code_parent_id_qda_code"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_qda_code_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qda_code")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_qda_code_project_id_name")),
    )
    op.create_index("ix_qda_code_parent_id", "qda_code", ["parent_id"], unique=False)
    op.create_table(
        "qda_coding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("changed", sa.Boolean(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["qda_code.id"],
            name=op.f("fk_qda_coding_code_id_qda_code"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["user.id"], name=op.f("fk_qda_coding_coder_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_qda_coding_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qda_coding")),
    )
    op.create_index(
        "ix_qda_coding_source",
        "qda_coding",
        ["project_id", "source_type", "source_id"],
        unique=False,
    )
    op.create_index(
        "ix_qda_coding_code_id",
        "qda_coding",
        ["code_id", "source_type", "source_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_qda_coding_code_id", table_name="qda_coding")
    op.drop_index("ix_qda_coding_source", table_name="qda_coding")
    op.drop_table("qda_coding")
    op.drop_index("ix_qda_code_parent_id", table_name="qda_code")
    op.drop_table("qda_code")
