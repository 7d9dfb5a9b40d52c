"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from cbpar.audit import AuditEvent
from cbpar.auth.models import ApiToken, Invitation, User
from cbpar.db import Base
from cbpar.links import RecordLink
from cbpar.mapping.models import Facility, Household, SavedAnalysis
from cbpar.projects.models import Membership, Project, Village

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Facility",
    "Household",
    "Invitation",
    "Membership",
    "Project",
    "RecordLink",
    "SavedAnalysis",
    "User",
    "Village",
]
