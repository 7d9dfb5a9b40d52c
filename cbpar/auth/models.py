"""Accounts, one-time invitations and personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Authored, Base, CreatedMixin, str_enum
from cbpar.security import Role

if TYPE_CHECKING:
    from cbpar.projects.models import Membership, Project


class User(CreatedMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # Empty until the invitee sets a password through their invitation link.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(16))
    # Bumped on log-out, password change or disabling: every older session stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and bool(self.password_hash)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def name(self) -> str:
        return self.display_name or self.username


class Invitation(Authored, CreatedMixin, Base):
    """A one-time link to join a project with a role.

    It names an existing account (user_id) or only the username typed for a new person: that
    account is created when they accept and choose a password. The coordinator sees the same
    either way, so inviting does not tell them which usernames exist. Accepting never changes
    the password of an account that has one: its owner logs in and accepts.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The existing account invited; None for a new person until they accept.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    # As the coordinator typed them (shown on the members page; used for a new account).
    username: Mapped[str] = mapped_column(String(64), default="")
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # The project to join and the role in it; None only for links made before revision 0010.
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role | None] = mapped_column(str_enum(Role, length=20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    # Set when the link is accepted, replaced by a newer one or cancelled: it works once.
    used_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    project: Mapped[Project | None] = relationship()


class ApiToken(CreatedMixin, Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The token is shown once; only its SHA-256 is kept, with a short prefix to recognise it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
