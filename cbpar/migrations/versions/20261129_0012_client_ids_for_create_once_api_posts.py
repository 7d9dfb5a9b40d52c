"""client ids for create-once API posts

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 18:00:00.000000

A record created through the JSON API may carry a client-generated UUID; the table remembers
which record each one made, unique per project, so a resent POST creates nothing new.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_client_record_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_client_record_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_record")),
        sa.UniqueConstraint(
            "project_id", "client_id", name=op.f("uq_client_record_project_id_client_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("client_record")
