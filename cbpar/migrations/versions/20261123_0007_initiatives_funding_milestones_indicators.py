"""initiatives, funding, milestones, indicators, transparency links

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 03:26:32.847640
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "funder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "foundation",
                "government",
                "mass_organisation",
                "ngo",
                "company",
                "individual",
                "community",
                name="fundertype",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_funder_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funder")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_funder_project_id_name")),
    )
    with op.batch_alter_table("funder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funder_project_id"), ["project_id"], unique=False)
    op.create_table(
        "transparency_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", cbpar.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_transparency_link_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_transparency_link_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transparency_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_transparency_link_token_hash")),
    )
    with op.batch_alter_table("transparency_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transparency_link_project_id"), ["project_id"], unique=False
        )
    op.create_table(
        "initiative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "planning",
                "fundraising",
                "in_progress",
                "completed",
                "cancelled",
                name="initiativestatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("lead_user_id", sa.Integer(), nullable=True),
        sa.Column("lead_organisation", sa.String(length=200), nullable=False),
        sa.Column("budget_target", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("spent", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_initiative_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facility.id"],
            name=op.f("fk_initiative_facility_id_facility"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_user_id"],
            ["user.id"],
            name=op.f("fk_initiative_lead_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_initiative_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative")),
    )
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_initiative_facility_id"), ["facility_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_initiative_project_id"), ["project_id"], unique=False)
    op.create_table(
        "contribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("funder_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("cash", "in_kind", name="contributionkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("pledged", "received", name="contributionstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("items", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("estimated_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("pledged_on", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["funder_id"],
            ["funder.id"],
            name=op.f("fk_contribution_funder_id_funder"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_contribution_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_contribution_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution")),
    )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_funder_id"), ["funder_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contribution_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contribution_project_id"), ["project_id"], unique=False
        )
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column(
            "source",
            sa.Enum("manual", "computed", name="indicatorsource", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("baseline", sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column("target", sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column("current", sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column(
            "measure",
            sa.Enum(
                "children_under_6",
                "households",
                "left_behind_children",
                name="mapmeasure",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("facility_kind", sa.String(length=24), nullable=True),
        sa.Column("within_km", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_indicator_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_indicator_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
    )
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_indicator_project_id"), ["project_id"], unique=False)
    op.create_table(
        "initiative_need",
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_initiative_need_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["need.id"],
            name=op.f("fk_initiative_need_need_id_need"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("initiative_id", "need_id", name=op.f("pk_initiative_need")),
    )
    op.create_table(
        "initiative_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=False),
        sa.Column("task", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_initiative_role_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_role")),
    )
    with op.batch_alter_table("initiative_role", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_initiative_role_initiative_id"), ["initiative_id"], unique=False
        )
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_milestone_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_milestone_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_milestone_project_id"), ["project_id"], unique=False)
    op.create_table(
        "support_passed_on",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("given", sa.String(length=500), nullable=False),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_support_passed_on_initiative_id_initiative"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_support_passed_on_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_passed_on")),
    )
    with op.batch_alter_table("support_passed_on", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_passed_on_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_passed_on_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_passed_on", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_passed_on_project_id"))
        batch_op.drop_index(batch_op.f("ix_support_passed_on_initiative_id"))
    op.drop_table("support_passed_on")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_project_id"))
        batch_op.drop_index(batch_op.f("ix_milestone_initiative_id"))
    op.drop_table("milestone")
    with op.batch_alter_table("initiative_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_role_initiative_id"))
    op.drop_table("initiative_role")
    op.drop_table("initiative_need")
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_project_id"))
        batch_op.drop_index(batch_op.f("ix_indicator_initiative_id"))
    op.drop_table("indicator")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_project_id"))
        batch_op.drop_index(batch_op.f("ix_contribution_initiative_id"))
        batch_op.drop_index(batch_op.f("ix_contribution_funder_id"))
    op.drop_table("contribution")
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_project_id"))
        batch_op.drop_index(batch_op.f("ix_initiative_facility_id"))
    op.drop_table("initiative")
    with op.batch_alter_table("transparency_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transparency_link_project_id"))
    op.drop_table("transparency_link")
    with op.batch_alter_table("funder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funder_project_id"))
    op.drop_table("funder")
