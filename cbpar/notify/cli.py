"""`cbpar notify send` (run every minute by deploy/systemd/cbpar-notify.timer or cron) and
`cbpar notify channel add|list`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cbpar.db import db
from cbpar.notify import delivery, sender
from cbpar.notify.delivery_models import ChatKind
from cbpar.projects.models import Project


@click.group("notify")
def notify_group() -> None:
    """Send notifications (e-mail, group chats) and manage a project's group chats."""


@notify_group.command("send")
@click.option("--once/--loop", default=True, help="One run (default), or run every --every s.")
@click.option("--every", default=60, show_default=True, help="Seconds between runs with --loop.")
@with_appcontext
def send_command(once: bool, every: int) -> None:
    """Emit due reminders, turn notifications into e-mails, send what is due, retry failures."""
    import time

    from flask import current_app

    if not current_app.config.get("BASE_URL"):
        click.echo(
            "Set CBPAR_BASE_URL: links in e-mails and chats need the app's address.", err=True
        )
    while True:
        summary = sender.run_once()
        click.echo(summary.line())
        for error in summary.errors[:20]:
            click.echo(f"  {error}", err=True)
        if once:
            return
        time.sleep(max(every, 5))


@notify_group.group("channel")
def channel_group() -> None:
    """A project's group chats (WeCom, DingTalk, Feishu, Slack, Matrix, JSON webhooks)."""


def _project(slug: str) -> Project:
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise click.ClickException(f"No project with slug {slug!r}.")
    return project


@channel_group.command("add")
@click.argument("slug")
@click.argument("url")
@click.option("--name", default="", help="A name to tell the groups apart.")
@click.option("--locale", default="zh_Hans", show_default=True, help="zh_Hans or en.")
@with_appcontext
def channel_add(slug: str, url: str, name: str, locale: str) -> None:
    """Announce SLUG's meetings, votes and milestones in the group chat at URL."""
    project = _project(slug)
    try:
        channel = delivery.add_channel(project, url, name=name, locale=locale)
    except delivery.ChannelError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Added channel {channel.id} ({channel.kind}, {delivery.masked(channel.url)}) "
        f"to {project.slug}."
    )


@channel_group.command("list")
@click.argument("slug")
@with_appcontext
def channel_list(slug: str) -> None:
    """List SLUG's group chats (addresses masked)."""
    rows = delivery.channels(_project(slug))
    if not rows:
        click.echo("No group chats.")
    for channel in rows:
        state = "on" if channel.active else "off"
        click.echo(
            f"{channel.id}\t{ChatKind.label_of(channel.kind)}\t{channel.name}\t"
            f"{delivery.masked(channel.url)}\t{channel.locale}\t{state}\t"
            f"{','.join(channel.kinds or [])}"
        )


COMMANDS = (notify_group,)
