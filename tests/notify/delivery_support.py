"""Fixtures for the delivery tests: a real SMTP server on the loopback (aiosmtpd), a local
HTTP receiver for JSON webhooks, and an app of its own that commits for real (the sender
commits its claims before sending). Test modules import the fixtures from here."""

from __future__ import annotations

import atexit
import email
import email.policy
import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

import cbpar
from cbpar import events
from cbpar.auth.models import User
from cbpar.auth.services import set_password
from cbpar.db import db
from cbpar.notify.delivery_models import OutboxMessage
from cbpar.notify.models import NotificationSettings
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from tests.helpers import PASSWORD, fresh_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the SMTP server received; `refuse` makes it answer 451 (try again later)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


class Receiver:
    """A JSON webhook receiver on the loopback; `posts` holds what it was sent."""

    def __init__(self, port: int = 0) -> None:
        self.posts: list[dict[str, Any]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received.append({"path": self.path, "body": json.loads(body or b"{}")})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @classmethod
    def on_port(cls, port: int) -> Receiver:
        return cls(port)

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


_CATALOGS: list[str] = []


def catalogs() -> str:
    """A folder with the compiled catalogs (`make test` compiles them in place; a bare
    pytest run may have only the .po files), so e-mails really come out in Chinese."""
    if not _CATALOGS:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(cbpar.__file__).parent / "translations"
        target = Path(tempfile.mkdtemp(prefix="cbpar-catalogs-"))
        atexit.register(shutil.rmtree, target, ignore_errors=True)
        for po in source.glob("*/LC_MESSAGES/messages.po"):
            out = target / po.relative_to(source).with_suffix(".mo")
            out.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with out.open("wb") as fh:
                write_mo(fh, catalog)
        _CATALOGS.append(str(target))
    return _CATALOGS[0]


@pytest.fixture(autouse=True)
def fresh_catalogs() -> Iterator[None]:
    """Flask-Babel caches loaded catalogs per locale for every app of the process: forget
    them around each delivery test, so these apps read the catalogs compiled above (and the
    session app of other tests never sees them)."""
    from cbpar.extensions import babel

    def forget() -> None:
        domain = babel.__dict__.get("domain_instance")  # made on first use, in an app
        if domain is not None:
            domain.cache.clear()

    forget()
    yield
    forget()


def make_app(
    tmp_path: Any, smtp: SmtpServer | None = None, demo: bool = False, **extra: Any
) -> Flask:
    return fresh_app(
        tmp_path,
        demo=demo,
        BABEL_TRANSLATION_DIRECTORIES=catalogs(),
        SMTP_URL=smtp.url if smtp else "",
        MAIL_FROM="CBPAR Workspace <cbpar@example.org>",
        BASE_URL="https://cbpar.example.org",
        **extra,
    )


@pytest.fixture
def notify_app(tmp_path: Any, smtp_server: SmtpServer) -> Flask:
    return make_app(tmp_path, smtp_server)


def add_member(
    app: Flask,
    project_id: int,
    username: str,
    *,
    locale: str | None = None,
    address: str | None = "",
    frequency: str = "immediate",
    role: Role = Role.COMMITTEE,
    muted: list[str] | None = None,
) -> int:
    """A project member with a confirmed address (username@example.org unless given)."""
    with app.app_context():
        user = User(username=username, display_name=username.title(), locale=locale)
        set_password(user, PASSWORD)
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(project_id=project_id, user_id=user.id, role=role))
        if address is not None:
            db.session.add(
                NotificationSettings(
                    user_id=user.id,
                    email=address or f"{username}@example.org",
                    email_frequency=frequency,
                    muted_kinds=muted or [],
                )
            )
        db.session.commit()
        return user.id


def add_project(app: Flask, slug: str = "p1") -> int:
    with app.app_context():
        project = Project(slug=slug, name=f"Project {slug}")
        db.session.add(project)
        db.session.add(Village(project=project, name="Shuanghe", code="SH"))
        db.session.commit()
        return project.id


def emit(app: Flask, kind: str, project_id: int | None, recipients: list[int], **fields: Any):
    """Emit an event in a request of its own and commit, as a feature's view would."""
    with app.test_request_context():
        events.emit(
            events.Event(
                kind,
                project_id,
                tuple(recipients),
                fields.pop("params", {}),
                fields.pop("url", "/"),
                **fields,
            )
        )
        db.session.commit()


def send(app: Flask, now: datetime | None = None):
    """One `cbpar notify send` run (in-process), returning its summary."""
    from cbpar.notify import sender

    with app.app_context():
        return sender.run_once(now=now)


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "no text/html part"
    return part.get_content()
