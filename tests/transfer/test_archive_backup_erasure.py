"""Project archives, backups during writes, and erasing a household (with a canary)."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import zipfile

from sqlalchemy import func, select, text

from cbpar.attachments import services as attachments
from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.interviews.models import ConsentGiver, ConsentMethod, Interview, InterviewKind
from cbpar.links import RecordLink
from cbpar.mapping.models import Household
from cbpar.projects.models import Project, Village
from cbpar.transfer import archive
from tests.helpers import fresh_app as _fresh_app
from tests.helpers import run


def fresh_app(path, demo: bool = False):
    path.mkdir(parents=True, exist_ok=True)
    return _fresh_app(path, demo=demo)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _demo_app(path):
    app = fresh_app(path, demo=True)
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        household = db.session.scalar(select(Household).where(Household.project_id == project.id))
        attachments.save_attachment(household, io.BytesIO(PNG), "map.png", None)
        db.session.commit()
    return app


def _snapshot(app, slug):
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == slug))
        rows = archive.project_rows(project.id)
        tables = {t.name: t for t, _w in archive.project_tables()}
        return {  # secrets (voter keys, tokens) never travel in an archive
            name: [
                {k: v for k, v in r.items() if k not in archive.secret_columns(tables[name])}
                for r in archive.serialise(table_rows)
                if not (name == "audit_event" and r["action"] in {"project_imported", "export"})
            ]
            for name, table_rows in rows.items()
            if not archive.withheld_table(tables[name])
        }


def test_archive_round_trip_reproduces_every_record(tmp_path):
    source = _demo_app(tmp_path / "a")
    out = tmp_path / "demo.zip"
    result = run(source, "export", "project", "demo", "-o", str(out))
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(out).namelist()
    assert "manifest.json" in names and "tables/household/00001.jsonl" in names
    assert any(n.startswith("attachments/") for n in names)

    target = fresh_app(tmp_path / "b")
    result = run(target, "import", "project", str(out), "--with-members")
    assert result.exit_code == 0, result.output
    before, after = _snapshot(source, "demo"), _snapshot(target, "demo")
    assert before.keys() == after.keys()
    for name in before:
        assert before[name] == after[name], name
    assert sum(len(v) for v in before.values()) > 50
    assert len(before["household"]) > 0 and len(before["memo"]) > 0
    for row in before["attachment"]:  # every file arrives, byte for byte
        with source.app_context():
            original = (attachments.folder(row["project_id"]) / row["stored_name"]).read_bytes()
        with target.app_context():
            copied = (attachments.folder(row["project_id"]) / row["stored_name"]).read_bytes()
        assert copied == original
    assert any(r["size"] == len(PNG) for r in before["attachment"])

    # The same archive again into the same instance, under a new slug: ids shift, links follow.
    result = run(target, "import", "project", str(out), "--slug", "copy")
    assert result.exit_code == 0, result.output
    copy = _snapshot(target, "copy")
    assert len(copy["household"]) == len(before["household"])
    with target.app_context():
        project_id = copy["project"][0]["id"]
        assert project_id != before["project"][0]["id"]
        household_ids = {h["id"] for h in copy["household"]}
        for link in copy["record_link"]:
            assert link["project_id"] == project_id
            if link["target_type"] == "household":
                assert link["target_id"] in household_ids
    result = run(target, "import", "project", str(out))
    assert result.exit_code != 0 and "exists" in result.output


def test_archive_from_a_newer_schema_is_refused(tmp_path, app, ctx, make_project):
    make_project("p1")
    project = db.session.scalar(select(Project).where(Project.slug == "p1"))
    data, _counts = archive.build(project)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(buffer, "w") as new:
        for item in old.infolist():
            body = old.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(body)
                manifest["schema_revision"] = "ffff_from_the_future"
                body = json.dumps(manifest).encode()
            new.writestr(item, body)
    try:
        archive.import_project(buffer.getvalue(), slug="p2")
    except archive.ArchiveError as exc:
        assert "newer or unknown" in str(exc) and "ffff_from_the_future" in str(exc)
    else:
        raise AssertionError("an archive from an unknown schema was imported")


def test_backup_during_concurrent_writes_restores_intact(tmp_path):
    app = fresh_app(tmp_path / "live")
    with app.app_context():
        project = Project(slug="p1", name="P")
        db.session.add(project)
        db.session.add(Village(project=project, name="Shuanghe", code="SH"))
        db.session.commit()
        village_id, project_id = project.villages[0].id, project.id
        engine = db.engine
    stop = threading.Event()
    written = [0]

    def writer(offset: int) -> None:
        number = offset
        while not stop.is_set():
            with engine.begin() as connection:
                for _ in range(20):
                    number += 1
                    connection.execute(
                        Household.__table__.insert(),
                        {
                            "project_id": project_id,
                            "village_id": village_id,
                            "number": number,
                            "code": f"SH-{number}",
                            "lat": 42.0,
                            "lon": 119.0,
                            "notes": "x" * 200,
                            "version": 1,
                        },
                    )
            written[0] += 20

    threads = [threading.Thread(target=writer, args=(n * 10_000_000,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        while written[0] < 200:
            threading.Event().wait(0.01)
        out = tmp_path / "backup.sqlite3"
        result = run(app, "backup", "-o", str(out))
        after_backup = written[0]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert result.exit_code == 0, result.output
    assert after_backup >= 200

    empty = fresh_app(tmp_path / "restored")
    with empty.app_context():
        db.engine.dispose()
    result = run(empty, "restore", str(out))
    assert result.exit_code == 0, result.output
    with empty.app_context():
        restored = sqlite3.connect(empty.config["DATABASE_URL"].removeprefix("sqlite:///"))
        assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = restored.execute("SELECT count(*) FROM household").fetchone()[0]
        restored.close()
        assert count > 0 and count % 20 == 0  # whole transactions only
    result = run(empty, "restore", str(out))
    assert result.exit_code != 0 and "has data already" in result.output


def test_erasing_a_household_leaves_no_trace_in_the_next_backup(tmp_path, monkeypatch):
    canary = "CANARY-7f3e9b-grandmother-Wang"
    app = fresh_app(tmp_path / "live")
    with app.app_context():
        project = Project(slug="p1", name="P")
        village = Village(project=project, name="Shuanghe", code="SH")
        db.session.add_all([project, village])
        db.session.flush()
        household = Household(
            project_id=project.id,
            village=village,
            number=1,
            code="SH-001",
            lat=42.0,
            lon=119.0,
            members=3,
            notes=canary,
            consent_given_by=canary[:40],
        )
        db.session.add(household)
        db.session.flush()
        interview = Interview(
            project_id=project.id,
            kind=InterviewKind.FAMILY,
            held_on=household.created_at.date(),
            household_id=household.id,
            interviewee_role=canary,
            notes=f"She said {canary}.",
            consent_method=ConsentMethod.VERBAL,
            consent_given_by=ConsentGiver.PERSON,
        )
        db.session.add(interview)
        db.session.flush()
        db.session.add(
            RecordLink(
                project_id=project.id,
                source_type="interview",
                source_id=interview.id,
                target_type="household",
                target_id=household.id,
                relation="about",
            )
        )
        db.session.commit()
        household_id, interview_id = household.id, interview.id
    before = tmp_path / "before.sqlite3"
    assert run(app, "backup", "-o", str(before)).exit_code == 0
    assert canary.encode() in before.read_bytes()  # the test would see it if it stayed

    from cbpar.transfer import erasure

    with app.test_request_context():
        counts = erasure.erase_household(db.session.get(Household, household_id), None)
        db.session.commit()
        assert counts["interviews"] == 1 and counts["links"] == 1
        assert db.session.get(Household, household_id) is None
        interview = db.session.get(Interview, interview_id)
        assert interview.erased_at and interview.household_id is None and not interview.notes
        assert db.session.scalar(select(func.count(RecordLink.id))) == 0
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_erased"))
        assert event is not None and canary not in json.dumps(event.details)
        assert "SH-001" not in json.dumps(event.details)
        db.session.execute(text("SELECT 1"))
    after = tmp_path / "after.sqlite3"
    assert run(app, "backup", "-o", str(after)).exit_code == 0
    assert canary.encode() not in after.read_bytes()
    assert canary[:20].encode() not in after.read_bytes()
