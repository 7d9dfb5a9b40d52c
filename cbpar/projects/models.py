"""Projects, their villages, and who is a member with which role."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbpar.db import Base, CreatedMixin, ProjectScopedNoIndex, str_enum, utcnow
from cbpar.security import Role

if TYPE_CHECKING:
    from cbpar.auth.models import User


class Project(CreatedMixin, Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    map_center_lat: Mapped[float] = mapped_column(default=0.0)
    map_center_lon: Mapped[float] = mapped_column(default=0.0)
    map_zoom: Mapped[int] = mapped_column(default=11)
    is_demo: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    villages: Mapped[list[Village]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Village.name"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )


class Village(ProjectScopedNoIndex, CreatedMixin, Base):
    __tablename__ = "village"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        UniqueConstraint("project_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Short prefix for household codes, e.g. "SH" gives SH-017.
    code: Mapped[str] = mapped_column(String(8))
    # Other names people write for the village (one per line), matched by imports.
    aliases: Mapped[str] = mapped_column(Text, default="", server_default="")
    center_lat: Mapped[float | None]
    center_lon: Mapped[float | None]
    # Optional GeoJSON Polygon geometry, drawn later.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    project: Mapped[Project] = relationship(back_populates="villages")


class Membership(ProjectScopedNoIndex, CreatedMixin, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, length=20))

    project: Mapped[Project] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")
