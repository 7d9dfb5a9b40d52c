"""Column mappings a project saved for its imports (teams name their questions differently)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbpar.db import Base, ProjectScopedNoIndex, utcnow


class ImportMapping(ProjectScopedNoIndex, Base):
    """Field -> column for one kind of record ("households" or "facilities") in one project."""

    __tablename__ = "import_mapping"
    __table_args__ = (UniqueConstraint("project_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
