"""Issue 11, finding 11: after an erasure commits, the erased values are in no file of the
instance folder: not in the SQLite database, its write-ahead log (-wal), its -shm, nor in
free pages. The app keeps its connections open, as a running server does."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from sqlalchemy import event

from cbpar import create_app
from cbpar.attachments import services as attachments
from cbpar.auth.models import User
from cbpar.auth.services import set_password
from cbpar.comments.models import Comment
from cbpar.db import Base, db
from cbpar.interviews.models import ConsentGiver, ConsentMethod, Interview, InterviewKind
from cbpar.mapping.models import Household
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from tests.helpers import PASSWORD, config_for_tests

CANARY = "CANARY-wal-5d1c0a-grandmother-Li"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _files_with(folder: Path, needle: bytes) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and needle in p.read_bytes()
    )


def _setup(tmp_path: Path):
    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app(
        config_for_tests(tmp_path, DATABASE_URL=f"sqlite:///{instance / 'cbpar.sqlite3'}")
    )
    with app.app_context():
        # Some SQLite builds (Debian's) zero freed space by default, upstream's does not: test
        # with upstream's default, so the erasure itself must ask for it.
        event.listen(
            db.engine, "connect", lambda dbapi, _r: dbapi.execute("PRAGMA secure_delete=OFF")
        )
        Base.metadata.create_all(db.engine)
        user = User(username="coord", display_name="C", is_admin=True)
        set_password(user, PASSWORD)
        project = Project(slug="p1", name="P")
        village = Village(project=project, name="Shuanghe", code="SH")
        db.session.add_all([user, project, village])
        db.session.flush()
        db.session.add(Membership(project=project, user_id=user.id, role=Role.COORDINATOR))
        household = Household(
            project_id=project.id, village=village, number=1, code="SH-001", lat=42.0,
            lon=119.0, members=3, notes=f"household {CANARY}", consent_given_by=CANARY[:40],
        )  # fmt: skip
        db.session.add(household)
        db.session.flush()
        interviews = [
            Interview(
                project_id=project.id,
                kind=InterviewKind.FAMILY,
                held_on=date(2020, 1, 1),
                household_id=household.id if family else None,
                interviewee_role=CANARY,
                notes=f"She said {CANARY} ({family}).",
                consent_method=ConsentMethod.VERBAL,
                consent_given_by=ConsentGiver.PERSON,
            )  # fmt: skip
            for family in (True, False)
        ]
        db.session.add_all(interviews)
        db.session.add(
            Comment(
                project_id=project.id, target_type="household", target_id=household.id,
                author_id=user.id, body=f"comment {CANARY}", html=f"<p>comment {CANARY}</p>",
            )
        )  # fmt: skip
        db.session.flush()
        attachments.save_attachment(household, io.BytesIO(PNG), f"{CANARY}.png", user)
        db.session.commit()
        ids = household.id, interviews[1].id
    return app, instance, ids


def test_erasure_leaves_the_canary_in_no_file_of_the_instance_folder(tmp_path):
    app, instance, (household_id, interview_id) = _setup(tmp_path)
    needle = CANARY.encode()
    assert _files_with(instance, needle)  # the test would see the canary if it stayed
    client = app.test_client()
    assert client.post("/login", data={"username": "coord", "password": PASSWORD}).status == (
        "302 FOUND"
    )
    # The household, with its family interview, comment and attachment...
    response = client.post(
        f"/projects/p1/households/{household_id}/erase", data={"confirm_code": "SH-001"}
    )
    assert response.status_code == 302
    # ...and an interview whose interviewee withdrew consent.
    assert client.post(f"/projects/p1/interviews/{interview_id}/withdraw").status_code == 303
    assert client.post(f"/projects/p1/interviews/{interview_id}/erase").status_code == 303
    try:
        found = _files_with(instance, needle) + _files_with(instance, CANARY[:20].encode())
        assert not found, found
    finally:
        with app.app_context():
            db.engine.dispose()
