"""openrosa: submissions from ODK Collect and their review queue

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cbpar.db import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openrosa_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=120), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "rejected",
                name="submissionstatus",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("record_type", sa.String(length=32), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_openrosa_submission_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user.id"],
            name=op.f("fk_openrosa_submission_reviewed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user.id"],
            name=op.f("fk_openrosa_submission_submitted_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_submission")),
        sa.UniqueConstraint(
            "project_id", "instance_id", name=op.f("uq_openrosa_submission_project_id_instance_id")
        ),
    )
    op.create_index(
        "ix_openrosa_submission_project_id_status",
        "openrosa_submission",
        ["project_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "openrosa_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["openrosa_submission.id"],
            name=op.f("fk_openrosa_media_submission_id_openrosa_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_media")),
        sa.UniqueConstraint(
            "submission_id", "filename", name=op.f("uq_openrosa_media_submission_id_filename")
        ),
    )


def downgrade() -> None:
    op.drop_table("openrosa_media")
    op.drop_index("ix_openrosa_submission_project_id_status", table_name="openrosa_submission")
    op.drop_table("openrosa_submission")
