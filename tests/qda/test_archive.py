"""A project archive carries the code book and the codings, their sources' ids mapped, so each
coding still selects its passage in the imported project (a code under a later code too)."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.qda import sources
from cbpar.qda.models import Code, Coding
from tests.helpers import fresh_app, run


def test_codings_survive_an_archive_moved_to_another_instance(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    app = fresh_app(tmp_path / "a", demo=True)
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        first = db.session.scalar(
            select(Code).where(Code.project_id == project.id).order_by(Code.id)
        )
        later = Code(project_id=project.id, name="a later parent", color="#000000")
        db.session.add(later)
        db.session.flush()
        first.parent_id = later.id
        db.session.commit()
    archive = tmp_path / "demo.zip"
    assert run(app, "export", "project", "demo", "-o", str(archive)).exit_code == 0
    other = fresh_app(tmp_path / "b")
    result = run(other, "import", "project", str(archive), "--slug", "copy")
    assert result.exit_code == 0, result.output
    with other.test_request_context():
        project = db.session.scalar(select(Project).where(Project.slug == "copy"))
        rows = list(db.session.scalars(select(Coding).where(Coding.project_id == project.id)))
        assert len(rows) >= 10 and {r.source_type for r in rows} >= {"interview", "memo", "minutes"}
        for row in rows:
            source = sources.load(project, row.source_type, row.source_id)
            assert source.text[row.start : row.end] == row.text
        codes = {
            c.name: c for c in db.session.scalars(select(Code).where(Code.project_id == project.id))
        }
        assert codes["access to childcare"].parent_id == codes["a later parent"].id
