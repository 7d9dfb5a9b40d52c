"""links between records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:54:52.875147
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=24), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_record_link_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_record_link_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_link")),
        sa.UniqueConstraint(
            "source_type",
            "source_id",
            "target_type",
            "target_id",
            "relation",
            name=op.f("uq_record_link_source_type_source_id_target_type_target_id_relation"),
        ),
    )
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_link_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_record_link_target", ["target_type", "target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("record_link", schema=None) as batch_op:
        batch_op.drop_index("ix_record_link_target")
        batch_op.drop_index(batch_op.f("ix_record_link_project_id"))

    op.drop_table("record_link")
