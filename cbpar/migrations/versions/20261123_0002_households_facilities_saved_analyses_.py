"""households, facilities, saved analyses and village boundaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:46:48.259976
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "kindergarten",
                "primary_school",
                "middle_school",
                "clinic",
                "village_committee",
                "library",
                "social_work_station",
                "other",
                name="facilitykind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("within_km", sa.Double(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_saved_analysis_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_saved_analysis_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_analysis")),
    )
    with op.batch_alter_table("saved_analysis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_analysis_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "facility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "kindergarten",
                "primary_school",
                "middle_school",
                "clinic",
                "village_committee",
                "library",
                "social_work_station",
                "other",
                name="facilitykind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "under_construction",
                "operating",
                "closed",
                name="facilitystatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_facility_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
            name=op.f("fk_facility_village_id_village"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility")),
    )
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.create_index(
            "ix_facility_project_id_kind_status", ["project_id", "kind", "status"], unique=False
        )

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("children_under_6", sa.Integer(), nullable=False),
        sa.Column("children_6_17", sa.Integer(), nullable=False),
        sa.Column("left_behind_children", sa.Integer(), nullable=False),
        sa.Column(
            "migrant_parents",
            sa.Enum(
                "none",
                "father",
                "mother",
                "both",
                name="migrantparents",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "caregiver",
            sa.Enum(
                "parents",
                "grandparents",
                "other_relatives",
                "other",
                name="caregiver",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("consent_given_by", sa.String(length=120), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(length=120), nullable=True),
        sa.Column("updated_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_household_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
            name=op.f("fk_household_village_id_village"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("project_id", "code", name=op.f("uq_household_project_id_code")),
        sa.UniqueConstraint("village_id", "number", name=op.f("uq_household_village_id_number")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(
            "ix_household_project_id_lat_lon", ["project_id", "lat", "lon"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_household_village_id"), ["village_id"], unique=False)

    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.add_column(sa.Column("boundary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.drop_column("boundary")

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_village_id"))
        batch_op.drop_index("ix_household_project_id_lat_lon")

    op.drop_table("household")
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_index("ix_facility_project_id_kind_status")

    op.drop_table("facility")
    with op.batch_alter_table("saved_analysis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_analysis_project_id"))

    op.drop_table("saved_analysis")
