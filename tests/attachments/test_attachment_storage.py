"""Issue 13: attachments stored where every app server sees them (CBPAR_ATTACHMENT_STORAGE).

Two app objects on one database with different instance folders stand for two app servers.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cbpar import create_app
from cbpar.attachments import services as attachments
from cbpar.attachments import storage
from cbpar.auth.models import User
from cbpar.auth.services import set_password
from cbpar.db import Base, db
from cbpar.mapping.models import Household
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from cbpar.transfer import archive, archive_import
from tests.helpers import PASSWORD, config_for_tests, new_memo, run

CANARY = b"CANARY-attachment-9c41e2-consent-form"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32 + CANARY


def server(tmp_path: Path, name: str, database: Path, **extra):
    """An app with its own instance folder on the shared SQLite file."""
    return create_app(
        config_for_tests(tmp_path / name, DATABASE_URL=f"sqlite:///{database}", **extra)
    )


def with_team(app) -> None:
    with app.app_context():
        Base.metadata.create_all(db.engine)
        user = User(username="researcher", display_name="")
        set_password(user, PASSWORD)
        project = Project(slug="p1", name="P")
        db.session.add_all([user, project, Village(project=project, name="Shuanghe", code="SH")])
        db.session.flush()
        db.session.add(Membership(project=project, user_id=user.id, role=Role.RESEARCHER))
        db.session.commit()


def logged_in(app):
    c = app.test_client()
    response = c.post("/login", data={"username": "researcher", "password": PASSWORD})
    assert response.status_code == 302
    return c


def blob_count(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM attachment_blob"))


def test_a_file_uploaded_through_one_server_downloads_through_another(tmp_path):
    shared = tmp_path / "shared.sqlite3"
    a = server(tmp_path, "a", shared, ATTACHMENT_STORAGE="database")
    b = server(tmp_path, "b", shared, ATTACHMENT_STORAGE="database")
    with_team(a)
    ca, cb = logged_in(a), logged_in(b)
    memo_id = new_memo(ca)
    response = ca.post(
        f"/projects/p1/attachments/memo/{memo_id}",
        data={"file": (io.BytesIO(PNG), "map.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with b.app_context():
        attachment_id = db.session.scalar(text("SELECT id FROM attachment"))
    response = cb.get(f"/projects/p1/attachments/{attachment_id}")
    assert response.status_code == 200
    assert response.data == PNG and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-store"
    response.close()
    assert blob_count(a) == 1
    for name in ("a", "b"):  # nothing in either server's own folder
        assert not (tmp_path / name / "instance" / "uploads").exists()

    # Deleting through server B removes the bytes for both.
    page = cb.post(f"/projects/p1/attachments/{attachment_id}/delete")
    assert page.status_code == 303
    assert blob_count(a) == 0
    assert ca.get(f"/projects/p1/attachments/{attachment_id}").status_code == 404


def test_folder_storage_stays_the_default(tmp_path):
    app = server(tmp_path, "laptop", tmp_path / "own.sqlite3")
    assert app.config["ATTACHMENT_STORAGE"] == "folder"
    with_team(app)
    with app.test_request_context():
        household = Household(
            project_id=1, village_id=1, number=1, code="SH-001", lat=42.0, lon=119.0, members=3
        )
        db.session.add(household)
        db.session.flush()
        saved = attachments.save_attachment(household, io.BytesIO(PNG), "map.png", None)
        db.session.commit()
        path = attachments.folder(1) / saved.stored_name
        assert path.read_bytes() == PNG
        assert db.session.scalar(text("SELECT count(*) FROM attachment_blob")) == 0


def test_an_unknown_storage_setting_stops_the_app(tmp_path):
    with pytest.raises(RuntimeError, match="ATTACHMENT_STORAGE"):
        server(tmp_path, "x", tmp_path / "x.sqlite3", ATTACHMENT_STORAGE="s3")


def _household_with_file(app) -> tuple[int, str]:
    with app.test_request_context():
        project = db.session.scalar(select(Project).where(Project.slug == "p1"))
        household = Household(
            project_id=project.id,
            village_id=project.villages[0].id,
            number=1,
            code="SH-001",
            lat=42.0,
            lon=119.0,
            members=3,
        )
        db.session.add(household)
        db.session.flush()
        saved = attachments.save_attachment(household, io.BytesIO(PNG), "consent.png", None)
        db.session.commit()
        return household.id, saved.stored_name


def test_erasure_removes_the_blob_and_the_next_backup_holds_no_trace(tmp_path):
    app = server(tmp_path, "a", tmp_path / "live.sqlite3", ATTACHMENT_STORAGE="database")
    with_team(app)
    household_id, _name = _household_with_file(app)
    before = tmp_path / "before.sqlite3"
    result = run(app, "backup", "-o", str(before))
    assert result.exit_code == 0 and "this backup holds them" in result.output
    assert CANARY in before.read_bytes()  # the check below would see it

    from cbpar.transfer import erasure

    with app.test_request_context():
        erasure.erase_household(db.session.get(Household, household_id), None)
        db.session.commit()
    assert blob_count(app) == 0
    after = tmp_path / "after.sqlite3"
    assert run(app, "backup", "-o", str(after)).exit_code == 0
    assert CANARY not in after.read_bytes()


def test_backup_with_folder_storage_says_to_copy_the_folder(tmp_path):
    app = server(tmp_path, "a", tmp_path / "live.sqlite3")
    with_team(app)
    result = run(app, "backup", "-o", str(tmp_path / "b.sqlite3"))
    assert result.exit_code == 0
    assert "does not hold them" in result.output and "uploads" in result.output


def test_archives_carry_database_stored_files_both_ways(tmp_path):
    source = server(tmp_path, "a", tmp_path / "a.sqlite3", ATTACHMENT_STORAGE="database")
    with_team(source)
    _household_id, name = _household_with_file(source)
    with source.test_request_context():
        project = db.session.scalar(select(Project).where(Project.slug == "p1"))
        data, manifest = archive.build_archive(project)
    assert "attachment_blob" not in manifest["tables"]  # the bytes travel as files
    assert zipfile.ZipFile(io.BytesIO(data)).read(f"attachments/{name}") == PNG

    for storage_kind in ("database", "folder"):
        target = server(
            tmp_path, f"t-{storage_kind}", tmp_path / f"t-{storage_kind}.sqlite3",
            ATTACHMENT_STORAGE=storage_kind,
        )  # fmt: skip
        with target.app_context():
            Base.metadata.create_all(db.engine)
        with target.test_request_context():
            imported = archive_import.import_project(data, slug="copy")
            db.session.commit()
            rows = list(
                db.session.execute(
                    select(text("id, project_id, stored_name")).select_from(text("attachment"))
                )
            )
            assert len(rows) == 1 and imported.slug == "copy"
            assert storage.read(rows[0]) == PNG
            blobs = db.session.scalar(text("SELECT count(*) FROM attachment_blob"))
            assert blobs == (1 if storage_kind == "database" else 0)
            count = db.session.scalar(select(func.count()).select_from(text("attachment")))
            assert count == 1
