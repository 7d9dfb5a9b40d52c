"""invitations carry the project and role; a new person's account is made on accepting

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:00:00.000000

Open links made before this revision set a password whatever the account: those for
accounts that have a password are closed. A link for an account without a password that
belongs to exactly one project is kept, for that project and role; any other old link is
closed (a coordinator issues a new one from the members page).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = sa.Enum(
    "coordinator",
    "researcher",
    "field_worker",
    "committee",
    "observer",
    name="role",
    native_enum=False,
    length=20,
)

# Lightweight tables for the data steps ("user" is quoted as needed by SQLAlchemy).
user = sa.table(
    "user",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("display_name", sa.String),
    sa.column("password_hash", sa.String),
)
membership = sa.table(
    "membership",
    sa.column("user_id", sa.Integer),
    sa.column("project_id", sa.Integer),
    sa.column("role", sa.String),
)
invitation = sa.table(
    "invitation",
    sa.column("user_id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("display_name", sa.String),
    sa.column("project_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("used_at", cbpar.db.UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("username", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("display_name", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("role", ROLE, nullable=True))
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f("ix_invitation_project_id"), ["project_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_invitation_project_id_project"),
            "project",
            ["project_id"],
            ["id"],
            ondelete="CASCADE",
        )

    of_user = user.c.id == invitation.c.user_id
    op.execute(
        invitation.update().values(
            username=sa.select(user.c.username).where(of_user).scalar_subquery(),
            display_name=sa.select(user.c.display_name).where(of_user).scalar_subquery(),
        )
    )
    now = datetime.now(UTC)
    has_password = sa.select(user.c.id).where(of_user, user.c.password_hash != "").exists()
    op.execute(
        invitation.update().where(invitation.c.used_at.is_(None), has_password).values(used_at=now)
    )
    of_member = membership.c.user_id == invitation.c.user_id
    one_project = (
        sa.select(sa.func.count()).select_from(membership).where(of_member).scalar_subquery() == 1
    )
    op.execute(
        invitation.update()
        .where(invitation.c.used_at.is_(None), one_project)
        .values(
            project_id=sa.select(membership.c.project_id).where(of_member).scalar_subquery(),
            role=sa.select(membership.c.role).where(of_member).scalar_subquery(),
        )
    )
    op.execute(
        invitation.update()
        .where(invitation.c.used_at.is_(None), invitation.c.project_id.is_(None))
        .values(used_at=now)
    )


def downgrade() -> None:
    # Links for people without an account yet cannot be kept without a user row.
    op.execute(invitation.delete().where(invitation.c.user_id.is_(None)))
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invitation_project_id_project"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invitation_project_id"))
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("role")
        batch_op.drop_column("project_id")
        batch_op.drop_column("display_name")
        batch_op.drop_column("username")
