"""Reminders of services and care, asked by `cbpar notify send` (see cbpar/events.py): each
day, per programme, how many enrolled children are not reached as its contact targets ask
(`contacts_overdue`), and per project how many follow-ups are due today or overdue
(`followups_due`), to the field workers (members with RECORD_CARE). Counts only: never a
child's code, name or any contact's content."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from cbpar import events
from cbpar.care import programmes
from cbpar.care.models import Child, ContactLog, ContactTarget, Programme
from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.projects.services import member_ids
from cbpar.security import Cap

# Daily reminders come from this local time on (not in the night).
FROM = time(8, 0)


def _today(project: Project, now: datetime) -> date | None:
    """The project's local date, if the day's reminders are due at `now`."""
    local = now.astimezone(ZoneInfo(project.timezone))
    return local.date() if local.time() >= FROM else None


def _projects_with(*ids_query: object) -> list[Project]:
    ids = {i for query in ids_query for i in db.session.scalars(query)}
    if not ids:
        return []
    return list(db.session.scalars(select(Project).where(Project.id.in_(ids)).order_by(Project.id)))


def contacts_overdue(now: datetime) -> list[events.Event]:
    """contacts_overdue: per programme with children missing a contact target, once a day."""
    with_targets = select(Programme.project_id).join(
        ContactTarget, ContactTarget.programme_id == Programme.id
    )
    out = []
    for project in _projects_with(with_targets.distinct()):
        today = _today(project, now)
        if today is None:
            continue
        children: dict[int, set[int]] = {}
        names: dict[int, str] = {}
        for gap in programmes.target_gaps(project, today):
            children.setdefault(gap.programme.id, set()).add(gap.child.id)
            names[gap.programme.id] = gap.programme.name
        if not children:
            continue
        workers = member_ids(project.id, Cap.RECORD_CARE)
        for programme_id in sorted(children):
            out.append(
                events.Event(
                    "contacts_overdue",
                    project.id,
                    workers,
                    {"programme": names[programme_id], "count": len(children[programme_id])},
                    events.path_for("care.programme", slug=project.slug, programme_id=programme_id),
                    dedupe=f"contacts_overdue:{programme_id}:{today.isoformat()}",
                )
            )
    return out


def followups_due(now: datetime) -> list[events.Event]:
    """followups_due: per project, follow-ups due today or overdue, once a day."""
    pending = select(ContactLog.project_id).where(
        ContactLog.follow_up_on.is_not(None), ContactLog.follow_up_done_on.is_(None)
    )
    out = []
    for project in _projects_with(pending.distinct()):
        today = _today(project, now)
        if today is None:
            continue
        count = db.session.scalar(
            select(func.count(ContactLog.id))
            .join(Child, Child.id == ContactLog.child_id)
            .where(
                ContactLog.project_id == project.id,
                ContactLog.follow_up_on <= today,
                ContactLog.follow_up_done_on.is_(None),
                Child.withdrawn_at.is_(None),
            )
        )
        if not count:
            continue
        out.append(
            events.Event(
                "followups_due",
                project.id,
                member_ids(project.id, Cap.RECORD_CARE),
                {"count": int(count)},
                events.path_for("care.follow_ups", slug=project.slug),
                dedupe=f"followups_due:{project.id}:{today.isoformat()}",
            )
        )
    return out


def reminders(now: datetime) -> list[events.Event]:
    return [*contacts_overdue(now), *followups_due(now)]
