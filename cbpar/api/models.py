"""Tables of the JSON API itself: which client-generated ids already made which record."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbpar.db import Authored, Base, CreatedMixin, ProjectScopedNoIndex


class ClientRecord(ProjectScopedNoIndex, Authored, CreatedMixin, Base):
    """A record created through the API with a client-generated `client_id` (a UUID).

    One row per project and client id: the unique constraint is what makes a repeated or
    simultaneous POST create the record once (see cbpar/api/idempotency.py).
    """

    __tablename__ = "client_record"
    __table_args__ = (UniqueConstraint("project_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36))  # canonical lower-case UUID
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "household", "meeting"
    record_id: Mapped[int]
