"""The public transparency link: a secret URL showing the project's transparency page."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select

from cbpar import audit
from cbpar.db import db, utcnow
from cbpar.initiatives.models import (
    TransparencyLink,
)
from cbpar.projects.models import Project


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def active_link(project: Project) -> TransparencyLink | None:
    return db.session.scalar(
        select(TransparencyLink).where(
            TransparencyLink.project_id == project.id, TransparencyLink.revoked_at.is_(None)
        )
    )


def create_link(project: Project, by: Any) -> str:
    """A new public link (any earlier one stops working); returns the secret, shown once."""
    revoke_link(project, by)
    raw = secrets.token_urlsafe(24)
    link = TransparencyLink(
        project_id=project.id, token_hash=_digest(raw), created_by_id=getattr(by, "id", None)
    )
    db.session.add(link)
    db.session.flush()
    audit.record("transparency_link_created", link, project=project, actor=by)
    return raw


def revoke_link(project: Project, by: Any) -> bool:
    link = active_link(project)
    if link is None:
        return False
    link.revoked_at = utcnow()
    audit.record("transparency_link_revoked", link, project=project, actor=by)
    return True


def project_for_token(raw: str) -> Project | None:
    if not raw or len(raw) > 100:
        return None
    link = db.session.scalar(
        select(TransparencyLink).where(TransparencyLink.token_hash == _digest(raw))
    )
    if link is None or link.revoked_at is not None:
        return None
    return db.session.get(Project, link.project_id)
