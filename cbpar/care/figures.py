"""Figures of services and care for a period: sessions, children reached, attendance, contact
targets, volunteer hours; per village and per month. For audiences without household access
the counts of children go through cbpar.privacy (1 to 4 become "<5", and a count that the
others would give away is withheld).

Children reached: distinct children present at a session or contacted in the period. Months
are calendar months of the stored UTC time (sessions) or of the date (contacts).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal_column, select

from cbpar import privacy
from cbpar.care import programmes, volunteers
from cbpar.care.models import (
    AttendanceStatus,
    Child,
    ContactLog,
    ProgrammeSession,
    SessionAttendance,
)
from cbpar.db import db
from cbpar.mapping.models import Household
from cbpar.meetings.services import project_today, to_utc
from cbpar.projects.models import Village

CHILD_COUNTS = ("children_reached",)
DEFAULT_DAYS = 28
MAX_DAYS = 366 * 5


def period(today: date, raw_from: str | None, raw_to: str | None) -> tuple[date, date, str | None]:
    """The period asked (ISO dates; by default the last 4 weeks) and a problem, if any (the
    API answers it with a 400; the page shows the default period instead)."""
    default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
    try:
        start = date.fromisoformat(raw_from) if raw_from else default[0]
        end = date.fromisoformat(raw_to) if raw_to else default[1]
    except ValueError:
        return (*default, "from")
    if end < start or (end - start).days > MAX_DAYS:
        return (*default, "to")
    return start, end, None


def _month(column: Any) -> Any:
    """YYYY-MM of a date or timestamp column (SQLite stores both as ISO text: a prefix)."""
    # Literal arguments, not bound parameters: PostgreSQL matches a GROUP BY expression to the
    # SELECT's only when they are written the same, and two parameters are two expressions.
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.substr(column, literal_column("1"), literal_column("7"))


def _bounds(project: Any, start: date, end: date) -> tuple[datetime, datetime]:
    return (
        to_utc(datetime.combine(start, time.min), project),
        to_utc(datetime.combine(end + timedelta(days=1), time.min), project),
    )


def _reached(project: Any, start: date, end: date) -> set[tuple[int, str]]:
    """(child id, month) of every child present at a session or contacted in the period:
    one pass over each source, distinct in the database."""
    low, high = _bounds(project, start, end)
    month = _month(ProgrammeSession.starts_at)
    present = (
        select(SessionAttendance.child_id, month)
        .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
        .where(
            ProgrammeSession.project_id == project.id,
            ProgrammeSession.starts_at >= low,
            ProgrammeSession.starts_at < high,
            SessionAttendance.status == AttendanceStatus.PRESENT,
        )
        .distinct()
    )
    contacted = (
        select(ContactLog.child_id, _month(ContactLog.on))
        .where(ContactLog.project_id == project.id, ContactLog.on >= start, ContactLog.on <= end)
        .distinct()
    )
    pairs: set[tuple[int, str]] = set()
    for query in (present, contacted):
        pairs.update(tuple(row) for row in db.session.execute(query))
    return pairs


def summary(project: Any, start: date, end: date, audience: privacy.Audience) -> dict[str, Any]:
    low, high = _bounds(project, start, end)
    in_period = (
        ProgrammeSession.project_id == project.id,
        ProgrammeSession.starts_at >= low,
        ProgrammeSession.starts_at < high,
    )
    sessions_by_month = dict(
        db.session.execute(
            select(_month(ProgrammeSession.starts_at), func.count())
            .where(*in_period)
            .group_by(_month(ProgrammeSession.starts_at))
        ).all()
    )
    statuses = dict(
        db.session.execute(
            select(SessionAttendance.status, func.count())
            .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
            .where(*in_period)
            .group_by(SessionAttendance.status)
        ).all()
    )
    listed = sum(statuses.values())
    present = statuses.get(AttendanceStatus.PRESENT, 0)
    pairs = _reached(project, start, end)
    village_of = dict(
        db.session.execute(
            select(Child.id, Household.village_id)
            .join(Household, Household.id == Child.household_id)
            .where(Child.project_id == project.id)
        ).all()
    )
    children = {child for child, _month_ in pairs}
    total_reached = len(children)
    by_month_reached: dict[str, int] = {}
    for _child, month in pairs:
        by_month_reached[month] = by_month_reached.get(month, 0) + 1
    by_village_reached: dict[int, int] = {}
    for child in children:
        village = village_of.get(child)
        by_village_reached[village] = by_village_reached.get(village, 0) + 1
    hours = volunteers.hours_by_volunteer(project, start, end)
    hours_by_month: dict[str, Decimal] = {}
    for totals in hours.values():
        for month, value in totals.by_month.items():
            hours_by_month[month] = hours_by_month.get(month, Decimal(0)) + value
    months = sorted(set(sessions_by_month) | set(by_month_reached) | set(hours_by_month))
    by_month = [
        {
            "month": month,
            "sessions": sessions_by_month.get(month, 0),
            "children_reached": by_month_reached.get(month, 0),
            "volunteer_hours": float(hours_by_month.get(month, 0)),
        }
        for month in months
    ]
    villages = db.session.execute(
        select(Village.id, Village.name)
        .where(Village.project_id == project.id)
        .order_by(Village.name)
    ).all()
    by_village = [
        {"village_id": vid, "village": name, "children_reached": by_village_reached.get(vid, 0)}
        for vid, name in villages
    ]
    targets = programmes.targets_met(project, min(end, project_today(project)))
    result = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "sessions": sum(sessions_by_month.values()),
        "children_reached": total_reached or 0,
        "attendance_rate": round(present / listed, 3) if listed else None,
        "volunteer_hours": float(sum((h.hours for h in hours.values()), Decimal(0))),
        "contact_targets": targets,
        "by_village": by_village,
        "by_month": by_month,
    }
    return _shaped(result, audience)


def _shaped(result: dict[str, Any], audience: privacy.Audience) -> dict[str, Any]:
    audience = privacy.children_audience(audience)
    if not audience.suppresses:
        return result
    result["children_reached"] = privacy.suppress(result["children_reached"], audience)
    result["by_village"] = privacy.suppress_rows(
        result["by_village"], CHILD_COUNTS, audience, key="village"
    )
    result["by_month"] = privacy.suppress_rows(
        result["by_month"], CHILD_COUNTS, audience, key="month"
    )
    for row in result["contact_targets"]:
        row["met"], row["enrolled"] = (
            privacy.suppress_linked([row["met"], row["enrolled"] - row["met"]], [[0, 1]], audience)[
                0
            ],
            privacy.suppress(row["enrolled"], audience),
        )
    return result
