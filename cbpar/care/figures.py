"""Figures of services and care for a period: sessions, children reached, attendance, contact
targets, volunteer hours; per village and per month. For audiences without household access
the counts of children go through cbpar.privacy (1 to 4 become "<5", and a count that the
others would give away is withheld).

Children reached: distinct children present at a session or contacted in the period. Months
are calendar months of the stored UTC time (sessions) or of the date (contacts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    and_,
    cast,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union,
    union_all,
)

from cbpar import privacy
from cbpar.care import programmes, volunteers
from cbpar.care.models import (
    AttendanceStatus,
    Child,
    ContactLog,
    ProgrammeSession,
    SessionAttendance,
)
from cbpar.care.rollup import ServiceReachMonth as Roll
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
    """YYYY-MM of a date or timestamp column (SQLite stores both as ISO text: a prefix); a
    timestamp's month is that of its UTC time, as in the roll-up (cbpar/care/rollup.py)."""
    # Literal arguments, not bound parameters: PostgreSQL matches a GROUP BY expression to the
    # SELECT's only when they are written the same, and two parameters are two expressions.
    if db.engine.dialect.name == "postgresql":
        if isinstance(getattr(column.type, "impl", column.type), DateTime):  # (a TypeDecorator)
            column = func.timezone(literal_column("'UTC'"), column)
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.substr(column, literal_column("1"), literal_column("7"))


def _bounds(project: Any, start: date, end: date) -> tuple[datetime, datetime]:
    return (
        to_utc(datetime.combine(start, time.min), project),
        to_utc(datetime.combine(end + timedelta(days=1), time.min), project),
    )


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


class _Split:
    """A period cut into the calendar months wholly inside it (read from the roll-up) and the
    ranges before and after them (read from the base tables): [low, first) and [last, high),
    with months [first, last). Without a whole month, first == last == high."""

    def __init__(self, low: Any, high: Any, first: Any, last: Any) -> None:
        if first >= last:
            first = last = high
        self.low, self.high, self.first, self.last = low, high, first, last

    @property
    def months(self) -> tuple[str, str] | None:
        """YYYY-MM of the first whole month and of the month after the last one."""
        if self.first >= self.last:
            return None
        return f"{self.first:%Y-%m}", f"{self.last:%Y-%m}"

    def ranges(self) -> list[tuple[Any, Any]]:
        """The end ranges [a, b) that are not empty."""
        ranges = [(self.low, self.first), (self.last, self.high)]
        return [(a, b) for a, b in ranges if a < b]


def _sessions_split(project: Any, start: date, end: date) -> _Split:
    low, high = _bounds(project, start, end)
    utc_low = low.astimezone(UTC)
    first_day = utc_low.date() if utc_low.time() == time.min else utc_low.date() + timedelta(1)
    first = _next_month(first_day) if first_day.day != 1 else first_day
    last = _month_start(high.astimezone(UTC).date())

    def at(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=UTC)

    return _Split(low, high, at(first), at(last))


def _contacts_split(start: date, end: date) -> _Split:
    first = start if start.day == 1 else _next_month(start)
    after = end + timedelta(days=1)
    return _Split(start, after, first, _month_start(after))


def _months_of(a: date, b: date) -> set[str]:
    """YYYY-MM of every month that has a day in [a, b)."""
    months: set[str] = set()
    day = _month_start(a)
    while day < b:
        months.add(f"{day:%Y-%m}")
        day = _next_month(day)
    return months


def _reached(project: Any, start: date, end: date) -> tuple[dict[str, int], dict[Any, int]]:
    """Children present at a session or contacted in the period, counted in the database: the
    distinct children of each month, and of each village (None: a household with no village)
    over the whole period. Every child lives in one household, so the villages' counts add up
    to the children reached.

    The months wholly inside the period come from the monthly roll-up (cbpar/care/rollup.py),
    counted where they lie; only the days at the two ends are read from the attendance and
    contact rows (`edges`, a few thousand pairs), and the months those touch are counted from
    both. One statement."""
    sessions, contacts = _sessions_split(project, start, end), _contacts_split(start, end)
    whole = []
    if sessions.months:
        whole.append(and_(Roll.present > 0, Roll.month >= sessions.months[0],
                          Roll.month < sessions.months[1]))  # fmt: skip
    if contacts.months:
        whole.append(and_(Roll.contacts > 0, Roll.month >= contacts.months[0],
                          Roll.month < contacts.months[1]))  # fmt: skip
    edge_parts = []
    edge_months: set[str] = set()
    for a, b in sessions.ranges():
        edge_months |= _months_of(a.astimezone(UTC).date(), (b - timedelta(microseconds=1))
                                  .astimezone(UTC).date() + timedelta(days=1))  # fmt: skip
        edge_parts.append(
            select(SessionAttendance.child_id.label("child_id"),
                   _month(ProgrammeSession.starts_at).label("month"))
            .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
            .where(ProgrammeSession.project_id == project.id, ProgrammeSession.starts_at >= a,
                   ProgrammeSession.starts_at < b,
                   SessionAttendance.status == AttendanceStatus.PRESENT)
        )  # fmt: skip
    for a, b in contacts.ranges():
        edge_months |= _months_of(a, b)
        edge_parts.append(
            select(ContactLog.child_id, _month(ContactLog.on)).where(
                ContactLog.project_id == project.id, ContactLog.on >= a, ContactLog.on < b
            )
        )
    rolled = (Roll.project == project.id, or_(*whole)) if whole else (false(),)
    edges = (
        union_all(*edge_parts).cte("edges").prefix_with("MATERIALIZED")
        if edge_parts
        else select(Roll.child.label("child_id"), Roll.month.label("month")).where(false()).cte()
    )
    in_edge_months = Roll.month.in_(sorted(edge_months)) if edge_months else false()
    month_whole = (
        select(Roll.month, func.count()).where(*rolled, ~in_edge_months).group_by(Roll.month)
    )
    touched = union(
        select(Roll.child, Roll.month).where(*rolled, in_edge_months),
        select(edges.c.child_id, edges.c.month),
    ).subquery()
    month_edges = select(touched.c[1], func.count()).group_by(touched.c[1])
    children = union(select(Roll.child).where(*rolled), select(edges.c.child_id)).subquery()
    per_village = (
        select(Household.village_id, func.count())
        .select_from(children)
        .join(Child, Child.id == children.c[0])
        .join(Household, Household.id == Child.household_id)
        .group_by(Household.village_id)
    )
    as_int = cast(null(), Integer)
    whole_q = month_whole.subquery()
    edge_q = month_edges.subquery()
    village_q = per_village.subquery()
    statement = union_all(
        select(literal_column("'month'"), whole_q.c[0], as_int, whole_q.c[1]),
        select(literal_column("'month'"), edge_q.c[0], as_int, edge_q.c[1]),
        select(literal_column("'village'"), cast(null(), String), village_q.c[0], village_q.c[1]),
    )
    by_month: dict[str, int] = {}
    by_village: dict[Any, int] = {}
    for what, month, village, n in db.session.execute(statement):
        if what == "month":
            by_month[month] = by_month.get(month, 0) + n
        else:
            by_village[village] = n
    return by_month, by_village


def _custom_plans() -> None:
    """PostgreSQL: plan this transaction's statements for their own values. psycopg prepares a
    statement run five times on a connection, and PostgreSQL may then keep one generic plan,
    which cannot know that the days at a period's ends are few (it scans all attendance)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _attendance(project: Any, start: date, end: date) -> tuple[int, int]:
    """Attendance rows listed in the period's sessions, and how many of them "present"."""
    split = _sessions_split(project, start, end)
    listed = present = 0
    if split.months:
        row = db.session.execute(
            select(func.sum(Roll.listed), func.sum(Roll.present)).where(
                Roll.project == project.id,
                Roll.month >= split.months[0],
                Roll.month < split.months[1],
            )
        ).one()
        listed, present = int(row[0] or 0), int(row[1] or 0)
    for a, b in split.ranges():
        for status, n in db.session.execute(
            select(SessionAttendance.status, func.count())
            .join(ProgrammeSession, ProgrammeSession.id == SessionAttendance.session_id)
            .where(
                ProgrammeSession.project_id == project.id,
                ProgrammeSession.starts_at >= a,
                ProgrammeSession.starts_at < b,
            )
            .group_by(SessionAttendance.status)
        ):
            listed += n
            present += n if status == AttendanceStatus.PRESENT else 0
    return listed, present


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
    _custom_plans()
    listed, present = _attendance(project, start, end)
    by_month_reached, by_village_reached = _reached(project, start, end)
    total_reached = sum(by_village_reached.values())
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
