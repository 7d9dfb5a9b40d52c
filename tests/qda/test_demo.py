"""The demo has a code book and coded passages, Chinese included, each selecting its text."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.qda import sources
from cbpar.qda.models import Code, Coding
from tests.helpers import fresh_app


def test_the_demo_codes_passages_of_its_interviews_memos_and_minutes(tmp_path):
    app = fresh_app(tmp_path, demo=True)
    with app.test_request_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        names = set(db.session.scalars(select(Code.name).where(Code.project_id == project.id)))
        assert {"access to childcare", "distance", "grandparent care"} <= names
        rows = list(db.session.scalars(select(Coding).where(Coding.project_id == project.id)))
        assert len(rows) >= 10
        assert {r.source_type for r in rows} >= {"interview", "memo", "minutes"}
        assert any("幼儿园" in r.text for r in rows)
        for row in rows:
            source = sources.load(project, row.source_type, row.source_id)
            assert source.text[row.start : row.end] == row.text and not row.changed
    c = app.test_client()
    c.post("/login", data={"username": "researcher", "password": "demo-password"})
    page = c.get("/projects/demo/qda")
    with app.test_request_context():
        from cbpar.links import RecordLink

        cited = set(db.session.scalars(select(RecordLink.target_type)))
    assert {"qda_code", "qda_coding"} <= cited
    assert page.status_code == 200 and "grandparent care" in page.get_data(as_text=True)
