"""The monthly roll-up (kept by triggers) and the figures read from it agree with a brute-force
count over every attendance and contact row, through inserts, edits, moves and deletes."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, insert, select, update

from cbpar import privacy
from cbpar.care import figures
from cbpar.care.models import (
    AttendanceStatus,
    Child,
    ContactLog,
    Programme,
    ProgrammeSession,
    SessionAttendance,
)
from cbpar.care.rollup import ServiceReachMonth
from cbpar.db import db
from cbpar.mapping.models import Caregiver, MigrantParents
from cbpar.meetings.services import to_local
from cbpar.projects.models import Project, Village

TODAY = date(2026, 6, 17)


def _setup(app, team, add_household, rng):
    project = team["project"]
    with app.app_context():
        db.session.add(Village(project_id=project.id, name="Baiyin", code="BY"))
        db.session.commit()
    households = [add_household(project, "SH") for _ in range(3)]
    households += [add_household(project, "BY") for _ in range(2)]
    with app.app_context():
        project = db.session.get(Project, project.id)
        project.timezone = "Asia/Shanghai"  # sessions' UTC months differ from local days
        children = []
        for i, household in enumerate(households * 2):
            child = Child(
                project_id=project.id, household_id=household.id, number=1 + i // 5,
                code=f"{household.code}-{1 + i // 5}", birth_year=2018, sex="girl",
                parents_away=MigrantParents.BOTH, caregiver=Caregiver.GRANDPARENTS,
            )  # fmt: skip
            db.session.add(child)
            children.append(child)
        programme = Programme(project_id=project.id, name="4:30 classroom", kind="after_school")
        db.session.add(programme)
        db.session.flush()
        start = datetime(2025, 11, 20, tzinfo=UTC)
        for day in range(0, 240, 3):
            # Some sessions at 17:00 UTC: the next day in Shanghai, sometimes the next month.
            at = start + timedelta(days=day, hours=rng.choice([1, 8, 17]))
            session = ProgrammeSession(project_id=project.id, programme_id=programme.id,
                                       starts_at=at)  # fmt: skip
            db.session.add(session)
            db.session.flush()
            for child in rng.sample(children, 4):
                status = rng.choice(list(AttendanceStatus))
                db.session.add(
                    SessionAttendance(session_id=session.id, child_id=child.id, status=status)
                )
        db.session.flush()
        db.session.execute(
            insert(ContactLog),
            [
                {"project_id": project.id, "child_id": rng.choice(children).id,
                 "kind": "phone_call", "on": date(2025, 11, 25) + timedelta(rng.randrange(230)),
                 "created_at": datetime.now(UTC)}
                for _ in range(150)
            ],
        )  # fmt: skip
        db.session.commit()
        return project.id, [c.id for c in children], programme.id


def _brute_rollup(project_id):
    rows: Counter = Counter()
    for session, child, status in db.session.execute(
        select(ProgrammeSession, SessionAttendance.child_id, SessionAttendance.status).join(
            SessionAttendance, SessionAttendance.session_id == ProgrammeSession.id
        )
    ):
        month = session.starts_at.astimezone(UTC).strftime("%Y-%m")
        rows[(session.project_id, month, child, "listed")] += 1
        rows[(session.project_id, month, child, "present")] += status == AttendanceStatus.PRESENT
    for contact in db.session.scalars(select(ContactLog)):
        rows[(contact.project_id, contact.on.strftime("%Y-%m"), contact.child_id, "contacts")] += 1
    table: dict = {}
    for (project, month, child, what), n in rows.items():
        table.setdefault((project, month, child), {"present": 0, "listed": 0, "contacts": 0})
        table[(project, month, child)][what] += n
    return {k: v for k, v in table.items() if any(v.values()) and k[0] == project_id}


def _stored_rollup(project_id):
    return {
        (r.project, r.month, r.child): {
            "present": r.present,
            "listed": r.listed,
            "contacts": r.contacts,
        }
        for r in db.session.scalars(
            select(ServiceReachMonth).where(ServiceReachMonth.project == project_id)
        )
    }


def _brute_summary(project, start, end):
    """Children reached (per month, per village, in all) and attendance, row by row."""
    pairs = set()
    listed = present = 0
    for session in db.session.scalars(
        select(ProgrammeSession).where(ProgrammeSession.project_id == project.id)
    ):
        if not start <= to_local(session.starts_at, project).date() <= end:
            continue
        month = session.starts_at.astimezone(UTC).strftime("%Y-%m")
        for row in session.attendance:
            listed += 1
            if row.status == AttendanceStatus.PRESENT:
                present += 1
                pairs.add((row.child_id, month))
    for contact in db.session.scalars(
        select(ContactLog).where(ContactLog.project_id == project.id)
    ):
        if start <= contact.on <= end:
            pairs.add((contact.child_id, contact.on.strftime("%Y-%m")))
    children = {c for c, _m in pairs}
    village_of = {c.id: c.household.village_id for c in db.session.scalars(select(Child))}
    return {
        "children_reached": len(children),
        "by_month": dict(Counter(m for _c, m in pairs)),
        "by_village": dict(Counter(village_of[c] for c in children)),
        "attendance_rate": round(present / listed, 3) if listed else None,
    }


def _check(project_id):
    assert _stored_rollup(project_id) == _brute_rollup(project_id)
    project = db.session.get(Project, project_id)
    periods = [
        (date(2025, 11, 1), date(2026, 10, 31)),  # a year of whole months
        (date(2025, 11, 29), date(2026, 6, 17)),  # both ends partial
        (date(2026, 1, 1), date(2026, 1, 31)),  # one whole month
        (date(2026, 2, 3), date(2026, 2, 20)),  # inside one month
        (date(2025, 12, 31), date(2026, 3, 1)),  # a day at each end
        (date(2026, 4, 30), date(2026, 5, 31)),
    ]
    for start, end in periods:
        got = figures.summary(project, start, end, privacy.Audience.FIELD)
        expected = _brute_summary(project, start, end)
        assert got["children_reached"] == expected["children_reached"], (start, end)
        assert got["attendance_rate"] == expected["attendance_rate"], (start, end)
        by_month = {r["month"]: r["children_reached"] for r in got["by_month"]}
        assert {m: n for m, n in by_month.items() if n} == expected["by_month"], (start, end)
        by_village = {r["village_id"]: r["children_reached"] for r in got["by_village"]}
        assert {v: n for v, n in by_village.items() if n} == expected["by_village"], (start, end)


def test_rollup_and_figures_match_a_brute_force_count_through_changes(
    app, team, add_household, database
):
    rng = random.Random(25)
    project_id, children, programme_id = _setup(app, team, add_household, rng)
    with app.test_request_context():
        assert len(_stored_rollup(project_id)) > 40
        _check(project_id)
        # Contacts: moved to another month, to another child, deleted.
        contacts = list(db.session.scalars(select(ContactLog).order_by(ContactLog.id)))
        contacts[0].on = contacts[0].on + timedelta(days=40)
        contacts[1].child_id = children[-1]
        db.session.delete(contacts[2])
        db.session.flush()
        db.session.execute(
            delete(ContactLog).where(ContactLog.id.in_([c.id for c in contacts[3:9]]))
        )
        # Attendance: status changed, a row deleted, a row added.
        rows = list(db.session.scalars(select(SessionAttendance).order_by(SessionAttendance.id)))
        for row in rows[:10]:
            row.status = (
                AttendanceStatus.ABSENT
                if row.status == AttendanceStatus.PRESENT
                else AttendanceStatus.PRESENT
            )
        db.session.delete(rows[10])
        db.session.flush()
        _check(project_id)
        # Sessions: moved across a month (UTC), deleted by the ORM and by a cascade (SQL).
        sessions = list(db.session.scalars(select(ProgrammeSession).order_by(ProgrammeSession.id)))
        sessions[0].starts_at = sessions[0].starts_at + timedelta(days=35)
        sessions[1].starts_at = datetime.combine(date(2026, 3, 31), time(20), tzinfo=UTC)
        db.session.delete(sessions[2])
        db.session.flush()
        db.session.execute(delete(ProgrammeSession).where(ProgrammeSession.id == sessions[3].id))
        db.session.execute(
            update(ProgrammeSession)
            .where(ProgrammeSession.id == sessions[4].id)
            .values(starts_at=datetime(2026, 5, 1, 1, tzinfo=UTC))
        )
        db.session.expire_all()
        _check(project_id)
        # A child erased (its rows go by cascade), then the whole programme.
        db.session.execute(delete(Child).where(Child.id == children[0]))
        db.session.expire_all()
        _check(project_id)
        db.session.execute(delete(Programme).where(Programme.id == programme_id))
        db.session.expire_all()
        _check(project_id)
        assert all(v["listed"] == 0 for v in _stored_rollup(project_id).values())


def test_the_migration_builds_the_rollup_from_existing_rows_and_keeps_it(tmp_path):
    """Upgrading a database that already has services (0024 -> head) fills the roll-up, and the
    head's triggers keep it (SQLite; the PostgreSQL suite runs the test above on its schema)."""
    import sqlite3

    from cbpar import migrate
    from cbpar.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
    migrate.upgrade(engine, "0024")
    insert_contact = (
        'INSERT INTO contact_log (child_id, kind, "on", with_whom, summary, issues, project_id, '
        "created_at) VALUES (7, 'talk', '2026-03-04', '', '', '', 1, '2026-03-04')"
    )
    raw = sqlite3.connect(tmp_path / "migrate.sqlite3")  # foreign keys off: no project needed
    raw.execute(insert_contact)
    raw.commit()
    migrate.upgrade(engine)
    rows = raw.execute("SELECT project, month, child, contacts FROM service_reach_month")
    assert rows.fetchall() == [(1, "2026-03", 7, 1)]
    raw.execute(insert_contact)
    assert raw.execute("SELECT contacts FROM service_reach_month").fetchone() == (2,)
    raw.execute("DELETE FROM contact_log")
    assert raw.execute("SELECT count(*) FROM service_reach_month").fetchone() == (0,)
    raw.close()
    engine.dispose()
