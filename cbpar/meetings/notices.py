"""What meetings tell people (see cbpar/events.py): meetings planned, changed or cancelled,
minutes waiting for approval and approved, action items assigned; and the reminders
`cbpar notify send` asks for: action items due tomorrow and overdue, in the project's time.

Only models here (services and minutes call in): params hold a meeting's title and time, an
action's due date; never the action's text, minutes or names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cbpar import events
from cbpar.db import db
from cbpar.meetings.models import (
    ActionItem,
    ActionStatus,
    ApprovalMode,
    Meeting,
    MeetingSettings,
    MeetingStatus,
)
from cbpar.projects.models import Project
from cbpar.projects.services import member_ids
from cbpar.security import Cap, Role

# Time-place fields whose change is worth telling (a new title or agenda is not).
WHEN_WHERE = {"starts_at", "ends_at", "place", "village_id"}
# Overdue action items are told once; those overdue longer than this when the sender first
# sees them (e.g. when notifications are switched on) are left alone.
OVERDUE_WITHIN = timedelta(days=30)


def iso_utc(value: datetime) -> str:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat()


def _slug(project_id: int) -> str:
    return db.session.get(Project, project_id).slug


def _meeting_url(meeting: Meeting) -> str:
    return events.path_for(
        "meetings.meeting", slug=_slug(meeting.project_id), meeting_id=meeting.id
    )


def _announce(kind: str, meeting: Meeting, by: Any) -> None:
    """meeting_planned / _changed / _cancelled to members who read meetings (and the chats);
    the dedupe key carries the meeting's version, so each change is told once."""
    db.session.flush()
    events.emit(
        events.Event(
            kind,
            meeting.project_id,
            member_ids(meeting.project_id, Cap.READ_MEETINGS),
            {
                "title": meeting.title,
                "starts": iso_utc(meeting.starts_at),
                "meeting_id": meeting.id,
            },
            _meeting_url(meeting),
            dedupe=f"{kind}:{meeting.id}:{meeting.version}",
            announce=True,
            actor_id=events.actor_id(by),
        )
    )


def _ahead(meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.PLANNED and meeting.starts_at >= datetime.now(UTC)


def meeting_created(meeting: Meeting, by: Any) -> None:
    """A meeting planned ahead (not one recorded after it took place)."""
    if _ahead(meeting):
        _announce("meeting_planned", meeting, by)


def meeting_updated(meeting: Meeting, changed: list[str], by: Any = None) -> None:
    if WHEN_WHERE & set(changed) and _ahead(meeting):
        _announce("meeting_changed", meeting, by)


def status_changed(meeting: Meeting, before: MeetingStatus, by: Any = None) -> None:
    if meeting.status == MeetingStatus.CANCELLED and meeting.starts_at >= datetime.now(UTC):
        _announce("meeting_cancelled", meeting, by)
    elif before == MeetingStatus.CANCELLED and _ahead(meeting):
        _announce("meeting_planned", meeting, by)  # planned again
    elif meeting.status == MeetingStatus.HELD:
        minutes_waiting(meeting, by)


# --- minutes ---------------------------------------------------------------------------------


def approver_ids(meeting: Meeting) -> tuple[int, ...]:
    """Who approves the minutes now: the coordinators, or (attendees mode) the attending
    members who have not approved the current revision."""
    settings = db.session.get(MeetingSettings, meeting.project_id)
    if settings is None or settings.approval == ApprovalMode.COORDINATOR:
        return member_ids(meeting.project_id, roles=[Role.COORDINATOR])
    minutes = meeting.minutes
    number = minutes.revisions[-1].number if minutes and minutes.revisions else 0
    done = (
        {a.user_id for a in minutes.approvals if a.revision_number == number} if minutes else set()
    )
    attending = {a.user_id for a in meeting.attendances} - done
    return tuple(u for u in member_ids(meeting.project_id) if u in attending)


def minutes_waiting(meeting: Meeting, by: Any = None) -> None:
    """minutes_to_approve, once per approver and meeting, when a held meeting's minutes (with
    text, not approved) wait for approval: saved after the meeting, or the meeting marked held."""
    minutes = meeting.minutes
    if (
        meeting.status != MeetingStatus.HELD
        or minutes is None
        or minutes.approved
        or not minutes.body.strip()
    ):
        return
    events.emit(
        events.Event(
            "minutes_to_approve",
            meeting.project_id,
            approver_ids(meeting),
            {"title": meeting.title},
            _meeting_url(meeting),
            dedupe=f"minutes_to_approve:{meeting.id}",
            actor_id=events.actor_id(by),
        )
    )


def minutes_approved(meeting: Meeting, by: Any = None) -> None:
    events.emit(
        events.Event(
            "minutes_approved",
            meeting.project_id,
            member_ids(meeting.project_id, Cap.READ_MEETINGS),
            {"title": meeting.title},
            _meeting_url(meeting),
            dedupe=f"minutes_approved:{meeting.id}",
            actor_id=events.actor_id(by),
        )
    )


# --- action items ----------------------------------------------------------------------------


def _action_event(
    kind: str,
    item: ActionItem,
    meeting_title: str,
    slug: str,
    actor: int | None = None,
    readers: tuple[int, ...] | None = None,
) -> events.Event:
    due = item.due_on.isoformat() if item.due_on else None
    if readers is None:
        readers = member_ids(item.project_id, Cap.READ_MEETINGS)
    return events.Event(
        kind,
        item.project_id,
        (item.assignee_id,) if item.assignee_id in readers else (),
        {"meeting": meeting_title, "due": due},
        events.path_for("meetings.meeting_action_item", slug=slug, item_id=item.id),
        dedupe=f"{kind}:{item.id}" + (f":{due}" if kind != "action_assigned" else ""),
        actor_id=actor,
    )


def action_assigned(item: ActionItem, meeting: Meeting, by: Any = None) -> None:
    if item.assignee_id is None or item.status != ActionStatus.OPEN:
        return
    event = _action_event(
        "action_assigned", item, meeting.title, _slug(item.project_id), events.actor_id(by)
    )
    if event.recipients:
        events.emit(event)


def project_today(project: Project, now: datetime) -> date:
    return now.astimezone(ZoneInfo(project.timezone)).date()


def action_reminders(now: datetime) -> list[events.Event]:
    """action_due (due tomorrow in the project's time zone) and action_overdue (due date
    passed, still open): to the assignee, once per item and due date."""
    rows = db.session.execute(
        select(ActionItem, Meeting.title, Project)
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .join(Project, Project.id == ActionItem.project_id)
        .where(
            ActionItem.status == ActionStatus.OPEN,
            ActionItem.assignee_id.is_not(None),
            ActionItem.due_on.is_not(None),
            ActionItem.due_on <= now.date() + timedelta(days=2),
            ActionItem.due_on >= now.date() - OVERDUE_WITHIN - timedelta(days=1),
        )
        .order_by(ActionItem.id)
    ).all()
    out = []
    readers: dict[int, tuple[int, ...]] = {}
    for item, title, project in rows:
        today = project_today(project, now)
        if item.due_on == today + timedelta(days=1):
            kind = "action_due"
        elif today - OVERDUE_WITHIN <= item.due_on < today:
            kind = "action_overdue"
        else:
            continue
        if project.id not in readers:
            readers[project.id] = member_ids(project.id, Cap.READ_MEETINGS)
        event = _action_event(kind, item, title, project.slug, readers=readers[project.id])
        if event.recipients:
            out.append(event)
    return out
