"""Submissions travel in project archives: waiting ones with their XML, reasons and files,
accepted ones still naming their record (under its new id when ids shift)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.care.models import Child, ChildSex, ContactLog
from cbpar.db import db
from cbpar.mapping.models import Caregiver, Household, MigrantParents
from cbpar.openrosa import services
from cbpar.openrosa.models import Submission, SubmissionStatus
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from tests.helpers import fresh_app, run
from tests.openrosa.conftest import JPEG

CONTACT = (
    "<?xml version='1.0' ?><cbpar_contact id='cbpar_contact'><child>{}</child><kind>talk</kind>"
    "<on>2026-01-06</on><meta><instanceID>uuid:c</instanceID></meta></cbpar_contact>"
)
ENVELOPE = (
    "<?xml version='1.0' ?><cbpar_household id='cbpar_household'>{}"
    "<meta><instanceID>uuid:{}</instanceID></meta></cbpar_household>"
)


def test_a_project_archive_carries_its_submissions(tmp_path):
    (tmp_path / "a").mkdir()
    source = fresh_app(tmp_path / "a")
    with source.test_request_context():
        user = User(username="fw")
        project = Project(slug="p1", name="P1")
        db.session.add_all([user, project, Village(project=project, name="Shuanghe", code="SH")])
        db.session.add(Membership(project=project, user=user, role=Role.FIELD_WORKER))
        db.session.flush()
        good = (
            "<village>SH</village><gps>42.1 119.8 0 5</gps><migrant_parents>both</migrant_parents>"
        )
        good += "<caregiver>grandparents</caregiver>"
        bad = "<village>ZZ</village><gps>42.1 119.8 0 5</gps><photo>p.jpg</photo>"
        assert services.receive(project, user, ENVELOPE.format(good, "a").encode(), {}).kind == (
            "created"
        )
        household = db.session.scalar(select(Household))
        child = Child(
            project_id=project.id,
            household_id=household.id,
            number=1,
            code=f"{household.code}-1",
            birth_year=2017,
            sex=ChildSex.GIRL,
            parents_away=MigrantParents.BOTH,
            caregiver=Caregiver.GRANDPARENTS,
            consent_on=date(2026, 1, 5),
        )
        db.session.add(child)
        db.session.flush()
        contact = CONTACT.format(child.code).encode()
        assert services.receive(project, user, contact, {}).kind == "created"
        outcome = services.receive(
            project, user, ENVELOPE.format(bad, "b").encode(), {"p.jpg": JPEG}
        )
        assert outcome.kind == "queued"
        db.session.commit()
    out = tmp_path / "p1.zip"
    assert run(source, "export", "project", "p1", "-o", str(out)).exit_code == 0

    # Into the same instance under a new slug: every id shifts.
    result = run(source, "import", "project", str(out), "--slug", "copy")
    assert result.exit_code == 0, result.output
    with source.app_context():
        copy = db.session.scalar(select(Project).where(Project.slug == "copy"))
        rows = {
            s.instance_id: s
            for s in db.session.scalars(select(Submission).where(Submission.project_id == copy.id))
        }
        household = db.session.scalar(select(Household).where(Household.project_id == copy.id))
        assert rows["uuid:a"].status == SubmissionStatus.ACCEPTED
        assert rows["uuid:a"].record_id == household.id
        waiting = rows["uuid:b"]
        assert waiting.status == SubmissionStatus.PENDING and "ZZ" in waiting.xml
        assert waiting.reasons[0]["field"] == "village"
        assert [(m.filename, m.data) for m in waiting.media] == [("p.jpg", JPEG)]
        contact = db.session.scalar(select(ContactLog).where(ContactLog.project_id == copy.id))
        assert rows["uuid:c"].record_type == "contact_log"
        assert rows["uuid:c"].record_id == contact.id
