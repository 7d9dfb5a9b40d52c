"""field team household numbers, unknown counts, village aliases

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 20:00:00.000000

- `household.field_ref`: the field team's own household number (e.g. KoBo `hh_code`), unique
  in its village, indexed per project for search and re-import.
- Household counts may be NULL: a count left blank in an imported file is unknown, not 0.
- `village.aliases`: other names of a village, one per line, matched by imports.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("members", "children_under_6", "children_6_17", "left_behind_children")


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field_ref", sa.String(length=64), nullable=True))
        for name in COUNTS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f("uq_household_village_id_field_ref"), ["village_id", "field_ref"]
        )
        batch_op.create_index(
            "ix_household_project_id_field_ref", ["project_id", "field_ref"], unique=False
        )
    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aliases", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.drop_column("aliases")
    op.execute(
        sa.text(
            "UPDATE household SET " + ", ".join(f"{name} = COALESCE({name}, 0)" for name in COUNTS)
        )
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index("ix_household_project_id_field_ref")
        batch_op.drop_constraint(batch_op.f("uq_household_village_id_field_ref"), type_="unique")
        for name in COUNTS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("field_ref")
