"""A deleted attachment's file goes only when the deletion commits: a rolled-back request
(an erasure that fails half-way) keeps the file as it keeps the row."""

from __future__ import annotations

from types import SimpleNamespace

from cbpar.attachments import storage
from cbpar.db import db
from tests.helpers import fresh_app

REF = SimpleNamespace(id=1, project_id=7, stored_name="0" * 32 + ".png")


def _file(app):
    with app.app_context():
        path = storage.folder_of(REF.project_id) / REF.stored_name
        storage.current().save(REF, [b"\x89PNG kept"])
    return path


def test_a_rolled_back_deletion_keeps_the_file(tmp_path):
    app = fresh_app(tmp_path)
    path = _file(app)
    with app.app_context():
        storage.current().delete(REF)
        assert path.is_file()  # nothing is removed before the commit
        db.session.rollback()
        db.session.commit()  # a later commit in the same session does not remove it either
    assert path.is_file()


def test_a_committed_deletion_removes_the_file(tmp_path):
    app = fresh_app(tmp_path)
    path = _file(app)
    with app.app_context():
        storage.current().delete(REF)
        db.session.commit()
    assert not path.exists()
