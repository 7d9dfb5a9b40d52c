"""A meeting's calendar UID is the same from every address and server, and after a move."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from icalendar import Calendar
from sqlalchemy import select

from cbpar.db import db
from cbpar.meetings import calendar
from cbpar.meetings.models import Meeting, MeetingKind
from cbpar.projects.models import Project
from cbpar.transfer import archive, archive_import
from tests.helpers import fresh_app


def test_the_uid_does_not_depend_on_the_address_the_calendar_was_fetched_from(app, database, team):
    with app.app_context():
        meeting = Meeting(
            project_id=team["project"].id,
            kind=MeetingKind.COMMUNITY,
            title="Reflection",
            starts_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        )
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
    seen = set()
    for host in ("127.0.0.1", "localhost", "192.168.1.20:5000"):
        with app.test_request_context(base_url=f"http://{host}"):
            meeting = db.session.get(Meeting, meeting_id)
            ics = calendar.meetings_ics([(meeting.project, meeting)])
            seen.update(str(e["UID"]) for e in Calendar.from_ical(ics).walk("VEVENT"))
    assert len(seen) == 1, seen
    (uid,) = seen
    assert re.fullmatch(r"[0-9a-f-]{36}@cbpar", uid)


def _demo() -> Project:
    return db.session.scalar(select(Project).where(Project.slug == "demo"))


def test_the_uid_survives_an_archive_moved_to_another_instance(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = fresh_app(tmp_path / "a")
    with source.app_context():
        from cbpar import demo

        demo.load()
        db.session.commit()
        before = dict(db.session.execute(select(Meeting.title, Meeting.ical_uid)).all())
        data, _manifest = archive.build_archive(_demo())
    target = fresh_app(tmp_path / "b")
    with target.app_context():
        archive_import.import_project(data)
        db.session.commit()
        after = dict(db.session.execute(select(Meeting.title, Meeting.ical_uid)).all())
    assert before and after == before


def test_a_copy_on_the_same_instance_gets_new_uids(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        from cbpar import demo

        demo.load()
        db.session.commit()
        data, _manifest = archive.build_archive(_demo())
        archive_import.import_project(data, slug="copy")
        db.session.commit()
        uids = db.session.scalars(select(Meeting.ical_uid)).all()
    assert len(uids) == len(set(uids)) > 1
