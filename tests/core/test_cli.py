"""The `cbpar` command: accounts, tokens, members, migrations and the demo."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from cbpar.auth.models import ApiToken, User
from cbpar.cli import main
from cbpar.db import db
from cbpar.projects.models import Membership, Project, Village
from tests.helpers import config_for_tests, fresh_app


def run(app, *args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, obj=_script_info(app))
    return result


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_users_create_set_password_and_token(tmp_path):
    app = fresh_app(tmp_path)
    result = run(
        app, "users", "create", "amina", "--admin", input="steppe wind 2026\nsteppe wind 2026\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "amina"))
        assert user.is_admin and user.password_hash.startswith("pbkdf2")
        old_version = user.session_version
    weak = run(app, "users", "set-password", "amina", input="1234567890\n1234567890\n")
    assert weak.exit_code != 0 and "too common" in weak.output
    result = run(
        app, "users", "set-password", "amina", input="another long phrase\nanother long phrase\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.session_version)) == old_version + 1
    result = run(app, "users", "token", "amina")
    assert result.exit_code == 0
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith("cbp_")
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.get_json()["username"] == "amina"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
    assert run(app, "users", "token", "nobody").exit_code != 0


def test_members_add_and_change_role(tmp_path):
    app = fresh_app(tmp_path)
    run(app, "demo")
    run(app, "users", "create", "bayar", input="mountain river 99\nmountain river 99\n")
    result = run(app, "members", "add", "demo", "bayar", "field_worker")
    assert result.exit_code == 0, result.output
    result = run(app, "members", "add", "demo", "bayar", "researcher")
    assert result.exit_code == 0
    with app.app_context():
        role = db.session.scalar(select(Membership.role).join(User).where(User.username == "bayar"))
        assert role.value == "researcher"
    assert run(app, "members", "add", "nope", "bayar", "researcher").exit_code != 0
    assert run(app, "members", "add", "demo", "bayar", "king").exit_code != 0


def test_demo_is_idempotent_and_logins_work(tmp_path):
    app = fresh_app(tmp_path)
    first = run(app, "demo")
    assert first.exit_code == 0, first.output
    assert "demo-password" in first.output and "fictional" in first.output
    with app.app_context():
        counts = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Project, User, Membership, Village)
        ]
    assert run(app, "demo").exit_code == 0
    with app.app_context():
        again = [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Project, User, Membership, Village)
        ]
    assert counts == again and counts[1] == 9 and counts[3] == 2
    skipped = run(app, "demo", "--if-empty")
    assert "not loaded" in skipped.output
    client = app.test_client()
    for username in ("coordinator", "committee5", "observer"):
        response = client.post("/login", data={"username": username, "password": "demo-password"})
        assert response.status_code == 302, username
        page = client.get("/projects/demo/").get_data(as_text=True)
        assert "fictional" in page
        client.post("/logout")


def test_db_upgrade_and_current(tmp_path):
    from cbpar import create_app, migrate

    app = create_app(config_for_tests(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'm.sqlite3'}"))
    assert run(app, "db", "current").output.strip() == "base (empty)"
    result = run(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert run(app, "db", "current").output.strip() == migrate.heads()[0]
    assert run(app, "db", "downgrade", "base").exit_code == 0
    assert run(app, "db", "current").output.strip() == "base (empty)"
