"""What services and care tell people when something happens (see cbpar/events.py): after a
session, each volunteer who helped and has an account is asked for their reflection. The
event carries the programme's name and the session's day; nothing about any child."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from cbpar import events
from cbpar.care.models import Programme, ProgrammeSession, Volunteer
from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.projects.services import member_ids
from cbpar.security import Cap


def reflection_waiting(
    session: ProgrammeSession, programme: Programme, local_day: date, by: Any = None
) -> None:
    """reflection_waiting to each volunteer of the session whose account may write their
    diary (an active member with RECORD_CARE: the diary page's rule), once per session."""
    ids = [v.volunteer_id for v in session.volunteers]
    if not ids:
        return
    accounts = dict(
        db.session.execute(
            select(Volunteer.user_id, Volunteer.id).where(
                Volunteer.id.in_(ids), Volunteer.user_id.is_not(None)
            )
        ).all()
    )
    if not accounts:
        return
    writers = set(member_ids(programme.project_id, Cap.RECORD_CARE))
    slug = db.session.get(Project, programme.project_id).slug
    actor = events.actor_id(by)
    for user_id, volunteer_id in sorted(accounts.items()):
        if user_id not in writers:
            continue
        events.emit(
            events.Event(
                "reflection_waiting",
                programme.project_id,
                (user_id,),
                {"programme": programme.name, "date": local_day.isoformat()},
                events.path_for(
                    "care.diary_new", slug=slug, volunteer_id=volunteer_id, session=session.id
                ),
                dedupe=f"reflection_waiting:{session.id}",
                actor_id=actor,
            )
        )
