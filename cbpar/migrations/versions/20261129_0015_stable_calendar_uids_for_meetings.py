"""stable calendar UIDs for meetings

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 11:00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ical_uid", sa.String(length=64), nullable=True))
    # Each existing meeting gets its own UID once; calendars that subscribed before see the
    # event once more under it, then never again.
    meeting = sa.table("meeting", sa.column("id", sa.Integer), sa.column("ical_uid", sa.String))
    connection = op.get_bind()
    for (meeting_id,) in connection.execute(sa.select(meeting.c.id)).all():
        connection.execute(
            meeting.update()
            .where(meeting.c.id == meeting_id)
            .values(ical_uid=f"{uuid.uuid4()}@cbpar")
        )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.alter_column("ical_uid", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_meeting_ical_uid"), ["ical_uid"])


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_meeting_ical_uid"), type_="unique")
        batch_op.drop_column("ical_uid")
