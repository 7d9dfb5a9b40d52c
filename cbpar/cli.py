"""The `cbpar` command: run the app, migrate, manage accounts and members, load the demo."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from cbpar import audit, create_app, migrate
from cbpar import demo as demo_data
from cbpar.auth.models import User
from cbpar.auth.services import (
    create_api_token,
    end_all_sessions,
    find_user,
    password_problem,
    set_password,
)
from cbpar.db import db
from cbpar.projects import services
from cbpar.projects.models import Membership, Project
from cbpar.security import Role


@click.group(cls=FlaskGroup, create_app=create_app, load_dotenv=False)
def main() -> None:
    """CBPAR Workspace."""


# --- database --------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Apply or inspect schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    migrate.upgrade(db.engine, revision)
    click.echo(f"Database at {migrate.current(db.engine)}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (e.g. -1, or base)."""
    migrate.downgrade(db.engine, revision)
    click.echo(f"Database at {migrate.current(db.engine) or 'base'}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the database's revision."""
    click.echo(migrate.current(db.engine) or "base (empty)")


# --- users -----------------------------------------------------------------------------------


def _prompt_password(username: str) -> str:
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password, username)
        if problem is None:
            return password
        click.echo(problem, err=True)
        if not click.get_text_stream("stdin").isatty():
            raise click.exceptions.Exit(1)


def _user_or_fail(username: str):
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


@main.group("users")
def users_group() -> None:
    """Create accounts, set passwords, issue API tokens."""


@users_group.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Site administrator: may create projects.")
@click.option("--display-name", default="", help="Name shown to others.")
@with_appcontext
def users_create(username: str, admin: bool, display_name: str) -> None:
    """Create an account; the password is asked for (or read from standard input)."""
    if find_user(username) is not None:
        raise click.ClickException(f"A user named {username!r} exists.")
    password = _prompt_password(username)
    user = User(username=username, display_name=display_name, is_admin=admin)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", user, details={"admin": admin})
    db.session.commit()
    click.echo(f"Created {username}{' (site administrator)' if admin else ''}.")


@users_group.command("set-password")
@click.argument("username")
@with_appcontext
def users_set_password(username: str) -> None:
    """Set a new password; every session of that user ends."""
    user = _user_or_fail(username)
    set_password(user, _prompt_password(username))
    end_all_sessions(user)
    audit.record("password_changed", user)
    db.session.commit()
    click.echo(f"Password set for {username}; their sessions have ended.")


@users_group.command("token")
@click.argument("username")
@click.option("--name", default="command line", help="What the token is for.")
@with_appcontext
def users_token(username: str, name: str) -> None:
    """Print a new personal API token (alone on the last line). It is shown only once."""
    user = _user_or_fail(username)
    _token, raw = create_api_token(user, name)
    db.session.commit()
    click.echo(f"New API token for {username} ({name}); keep it secret, it is not shown again:")
    click.echo(raw)


# --- members ---------------------------------------------------------------------------------


@main.group("members")
def members_group() -> None:
    """Manage project members."""


@members_group.command("add")
@click.argument("project_slug")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
def members_add(project_slug: str, username: str, role: str) -> None:
    """Give USERNAME a ROLE in a project (or change their role)."""

    project = db.session.scalar(select(Project).where(Project.slug == project_slug))
    if project is None:
        raise click.ClickException(f"No project with slug {project_slug!r}.")
    user = _user_or_fail(username)
    membership = db.session.scalar(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id)
    )
    try:
        if membership is None:
            services.add_member(project, user, Role(role), by=None)
        else:
            services.change_role(membership, Role(role))
    except services.LastCoordinatorError as exc:
        raise click.ClickException("The project needs at least one coordinator.") from exc
    db.session.commit()
    click.echo(f"{username} is {role} in {project_slug}.")


# --- demo ------------------------------------------------------------------------------------


@main.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no project yet.")
@click.option(
    "--households",
    type=click.IntRange(min=0),
    default=0,
    help="Also make N synthetic households (for benchmarks; codes from 1001 per village).",
)
@click.option(
    "--facilities",
    type=click.IntRange(min=0),
    default=0,
    help="Also make M synthetic facilities of mixed kinds, a third of them kindergartens.",
)
@with_appcontext
def demo(if_empty: bool, households: int, facilities: int) -> None:
    """Load the fictional demo project (slug `demo`); running it again adds nothing twice."""
    if if_empty and not demo_data.database_is_empty():
        click.echo("The database has projects already; demo not loaded.")
        return
    summary = demo_data.load(households=households, facilities=facilities)
    db.session.commit()
    click.echo(summary)
    click.echo(demo_data.LOGINS)


# --- import, export, backup, restore (cbpar/transfer/cli.py) --------------------------------

from cbpar.transfer.cli import COMMANDS as _TRANSFER_COMMANDS  # noqa: E402

for _command in _TRANSFER_COMMANDS:
    main.add_command(_command)


# --- notifications: sending, group chats (cbpar/notify/cli.py) -------------------------------

from cbpar.notify.cli import COMMANDS as _NOTIFY_COMMANDS  # noqa: E402

for _command in _NOTIFY_COMMANDS:
    main.add_command(_command)


# --- qualitative coding: REFI-QDA export, code book import (cbpar/qda/cli.py) -----------------

from cbpar.qda.cli import COMMANDS as _QDA_COMMANDS  # noqa: E402

for _command in _QDA_COMMANDS:
    main.add_command(_command)
