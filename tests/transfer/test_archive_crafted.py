"""Issue 11, finding 3: a crafted archive must not write into other projects.

Each archive is a real export of an "outside" project, tampered. Every refusal names the table
and the row, and the instance is left exactly as it was (rows in every table, uploaded files).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from cbpar.comments.models import Comment
from cbpar.db import Base, db
from cbpar.links import RecordLink
from cbpar.mapping.models import Household
from cbpar.memos import services as memos
from cbpar.memos.models import Memo
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from cbpar.text import render_markdown
from tests.helpers import (
    counts,
    demo_instance,
    entries,
    export,
    pack,
    run,
    table_rows,
    tamper,
    write,
)

SCRIPT_HTML = '<script>alert(1)</script><img src="x" onerror="alert(2)">'


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """The demo project (the victim) and an outside project run by mallory, exported."""
    folder = tmp_path_factory.mktemp("crafted")
    app = demo_instance(folder / "app")
    result = run(app, "users", "create", "mallory", input="correct horse battery\n" * 2)
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        from cbpar.auth.models import User

        mallory = db.session.scalar(select(User).where(User.username == "mallory"))
        project = Project(slug="outside", name="Outside")
        village = Village(project=project, name="Elsewhere", code="EW")
        db.session.add_all([project, village])
        db.session.flush()
        db.session.add(Membership(project=project, user_id=mallory.id, role=Role.OBSERVER))
        household = Household(
            project_id=project.id, village=village, number=1, code="EW-001", lat=42.0, lon=119.0
        )
        db.session.add(household)
        db.session.flush()
        memo = memos.create_memo(project, mallory, {"title": "Notes", "body": "Plain notes."})
        db.session.add(
            Comment(
                project_id=project.id,
                target_type="memo",
                target_id=memo.id,
                author_id=mallory.id,
                body="A comment.",
                html="<p>A comment.</p>",
            )
        )
        db.session.add(
            RecordLink(
                project_id=project.id,
                source_type="memo",
                source_id=memo.id,
                target_type="household",
                target_id=household.id,
                relation="about",
            )
        )
        db.session.commit()
        demo = db.session.scalar(select(Project).where(Project.slug == "demo"))
        victim = {
            "project": demo.id,
            "village": db.session.scalar(select(Village.id).where(Village.project_id == demo.id)),
            "household": db.session.scalar(
                select(Household.id).where(Household.project_id == demo.id)
            ),
            "max_project": db.session.scalar(select(func.max(Project.id))),
        }
    data = export(app, "outside", folder / "outside.zip")
    return app, data, victim


def _refused(app, tmp_path, data, *args):
    before = counts(app)
    result = run(app, "import", "project", write(tmp_path, data), "--slug", "copy", *args)
    assert result.exit_code != 0
    assert counts(app) == before, "a refused archive changed the instance"
    return result.output


def test_membership_in_another_project_is_refused(instance, tmp_path):
    app, data, victim = instance
    row = table_rows(entries(data), "membership")[0]
    # The old import shifted project ids by the largest id here: aim at the victim through it.
    aimed = victim["project"] - victim["max_project"]

    def crown(rows):
        rows[0].update(project_id=aimed, role="coordinator")

    output = _refused(app, tmp_path, tamper(data, "membership", crown), "--with-members")
    assert f"table membership, row id {row['id']}" in output
    assert "not to the archive's project" in output
    with app.app_context():
        roles = db.session.scalars(
            select(Membership.role).where(Membership.project_id == victim["project"])
        ).all()
        assert roles.count(Role.COORDINATOR) == 1  # the demo's own coordinator only


@pytest.mark.parametrize("table", ["memo", "household", "village", "comment"])
def test_a_row_of_another_project_is_refused(instance, tmp_path, table):
    app, data, victim = instance
    rows = table_rows(entries(data), table)

    def move(rows):
        rows[0]["project_id"] = victim["project"]

    output = _refused(app, tmp_path, tamper(data, table, move))
    assert f"table {table}, row id {rows[0]['id']}" in output


def test_a_foreign_key_outside_the_archive_is_refused(instance, tmp_path):
    app, data, victim = instance
    row = table_rows(entries(data), "household")[0]

    def elsewhere(rows):
        rows[0]["village_id"] = victim["village"]

    output = _refused(app, tmp_path, tamper(data, "household", elsewhere))
    assert f"table household, row id {row['id']}" in output and "village_id" in output


def test_a_typed_reference_outside_the_archive_is_refused(instance, tmp_path):
    app, data, victim = instance
    row = table_rows(entries(data), "record_link")[0]

    def elsewhere(rows):
        rows[0]["target_id"] = victim["household"]

    output = _refused(app, tmp_path, tamper(data, "record_link", elsewhere))
    assert f"table record_link, row id {row['id']}" in output and "target_id" in output

    def unknown_kind(rows):
        rows[0]["target_type"] = "membership"

    output = _refused(app, tmp_path, tamper(data, "record_link", unknown_kind))
    assert f"table record_link, row id {row['id']}" in output


def test_a_user_not_in_the_archive_is_refused(instance, tmp_path):
    app, data, _victim = instance
    row = table_rows(entries(data), "memo")[0]

    def stranger(rows):
        rows[0]["author_id"] = 987654

    output = _refused(app, tmp_path, tamper(data, "memo", stranger))
    assert f"table memo, row id {row['id']}" in output and "author_id" in output


def test_stored_html_is_rebuilt_from_the_markdown(instance, tmp_path):
    app, data, _victim = instance
    body = "Hello <script>alert(3)</script> **bold** <img src=x onerror=alert(4)>"

    def poison(rows):
        rows[0].update(html=SCRIPT_HTML, body=body)

    crafted = tamper(tamper(data, "memo", poison), "comment", poison)
    path = write(tmp_path, crafted)
    result = run(app, "import", "project", path, "--slug", "html-copy")
    assert result.exit_code == 0, result.output
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "html-copy"))
        memo = db.session.scalar(select(Memo).where(Memo.project_id == project.id))
        comment = db.session.scalar(select(Comment).where(Comment.project_id == project.id))
        for html in (memo.html, comment.html):
            assert "<script" not in html and "onerror" not in html
            assert html == render_markdown(body) and "<strong>bold</strong>" in html


def test_a_json_column_without_a_rule_is_refused_and_every_json_column_has_one():
    from cbpar.transfer import archive_rows
    from cbpar.transfer.archive import project_tables

    for table, _ways in project_tables():
        for name in archive_rows.json_columns(table):
            assert (table.name, name) in archive_rows.JSON_RULES, f"{table.name}.{name}"
    assert {t.name for t in Base.metadata.sorted_tables} >= {t for t, _c in archive_rows.JSON_RULES}


def _line(output: str, *words: str) -> str:
    return next(line for line in output.splitlines() if all(w in line for w in words))


def test_members_only_with_the_flag_and_the_plan_lists_them(instance, tmp_path):
    app, data, _victim = instance
    path = write(tmp_path, data)
    before = counts(app)
    result = run(app, "import", "project", path, "--slug", "planned", "--with-members", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written." in result.output
    member_line = next(
        line for line in result.output.splitlines() if "mallory" in line and "observer" in line
    )
    assert "existing local account" in member_line
    assert counts(app) == before

    result = run(app, "import", "project", path, "--slug", "no-members")
    assert result.exit_code == 0, result.output
    assert "NOT imported" in result.output and "--with-members" in result.output
    result = run(app, "import", "project", path, "--slug", "with-members", "--with-members")
    assert result.exit_code == 0, result.output
    assert result.output.index("observer") < result.output.index("Imported project")
    with app.app_context():

        def members(slug):
            return db.session.scalars(
                select(Membership.role)
                .join(Project, Project.id == Membership.project_id)
                .where(Project.slug == slug)
            ).all()

        assert members("no-members") == []
        assert members("with-members") == [Role.OBSERVER]

    files = entries(data)
    users = json.loads(files["users.json"])
    for user in users:
        if user["username"] == "mallory":
            user.update(username="newcomer", password_hash="pbkdf2:sha256:1$x$y", is_admin=True)
    files["users.json"] = json.dumps(users).encode()
    result = run(
        app,
        "import",
        "project",
        write(tmp_path, pack(files)),
        "--slug",
        "newcomer",
        "--with-members",
    )
    assert result.exit_code == 0, result.output
    line = next(
        line for line in result.output.splitlines() if "newcomer" in line and "observer" in line
    )
    assert "new account without a password" in line
    with app.app_context():
        from cbpar.auth.models import User

        newcomer = db.session.scalar(select(User).where(User.username == "newcomer"))
        assert newcomer.password_hash == "" and not newcomer.is_admin
