"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from cbpar.api.models import ClientRecord
from cbpar.attachments.models import Attachment
from cbpar.audit import AuditEvent
from cbpar.auth.models import ApiToken, Invitation, User
from cbpar.care.models import Child, ContactLog
from cbpar.comments.models import Comment
from cbpar.db import Base
from cbpar.initiatives.models import (
    Contribution,
    Funder,
    Indicator,
    Initiative,
    InitiativeRole,
    Milestone,
    SupportPassedOn,
    TransparencyLink,
    initiative_need,
)
from cbpar.interviews.models import Interview
from cbpar.links import RecordLink
from cbpar.mapping.data_version import MapDataVersion
from cbpar.mapping.models import Facility, Household, SavedAnalysis
from cbpar.meetings.models import (
    ActionItem,
    Attendance,
    CalendarFeed,
    Decision,
    Guest,
    Meeting,
    MeetingSettings,
    Minutes,
    MinutesApproval,
    MinutesRevision,
)
from cbpar.memos.models import Memo, MemoRevision, Tag, memo_tag
from cbpar.needs.models import Ballot, Need, PaperSheetIssue, VoteOption, VoteRound, need_village
from cbpar.notify.delivery_models import ChatChannel, OutboxMessage
from cbpar.notify.models import Notification, NotificationSettings
from cbpar.openrosa.models import Submission, SubmissionMedia
from cbpar.projects.models import Membership, Project, Village
from cbpar.qda.models import Code, Coding
from cbpar.transfer.models import ImportMapping

__all__ = [
    "Contribution",
    "Funder",
    "Indicator",
    "Initiative",
    "InitiativeRole",
    "Milestone",
    "SupportPassedOn",
    "TransparencyLink",
    "initiative_need",
    "need_village",
    "ActionItem",
    "ApiToken",
    "Attachment",
    "Attendance",
    "AuditEvent",
    "Ballot",
    "PaperSheetIssue",
    "Base",
    "CalendarFeed",
    "Child",
    "ContactLog",
    "ClientRecord",
    "Code",
    "Coding",
    "Comment",
    "Decision",
    "Facility",
    "Guest",
    "Household",
    "MapDataVersion",
    "ChatChannel",
    "OutboxMessage",
    "ImportMapping",
    "Interview",
    "Invitation",
    "Meeting",
    "MeetingSettings",
    "Membership",
    "Memo",
    "MemoRevision",
    "Minutes",
    "Need",
    "Notification",
    "NotificationSettings",
    "MinutesApproval",
    "MinutesRevision",
    "Project",
    "RecordLink",
    "SavedAnalysis",
    "Submission",
    "SubmissionMedia",
    "Tag",
    "User",
    "VoteOption",
    "VoteRound",
    "Village",
    "memo_tag",
]
