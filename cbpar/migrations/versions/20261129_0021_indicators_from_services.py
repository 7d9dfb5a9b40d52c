"""indicators computed from services

An initiative's indicator may be computed from the services recorded for children (sessions,
children reached, contact targets met, volunteer hours), beside the map-computed ones: what it
measures (`service_measure`, a key registered by services and care), optionally one programme
(`programme_id`, emptied if the programme goes) and the period it counts over (`period_days`:
the last N days; empty: since the initiative started). The indicator table carries no map-data
trigger, so batch mode is safe here.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_measure", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("programme_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("period_days", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_indicator_programme_id"), ["programme_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_indicator_programme_id_programme"),
            "programme",
            ["programme_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_indicator_programme_id_programme"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_indicator_programme_id"))
        batch_op.drop_column("period_days")
        batch_op.drop_column("programme_id")
        batch_op.drop_column("service_measure")
