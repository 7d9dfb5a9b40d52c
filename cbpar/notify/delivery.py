"""Project group chats: which webhook URLs we accept, the announcement handler that queues one
chat message per channel, and sending one chat message through apprise.

A chat gets announcements only (meetings, votes opened, results, initiative milestones):
public facts written from the event's kind and params, never a person's data. The channel's
URL is a secret (anyone who has it can post to the group), so pages show it masked.
"""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from cbpar import events
from cbpar.db import db, utcnow
from cbpar.i18n import SUPPORTED_LOCALES
from cbpar.notify import mail
from cbpar.notify.delivery_models import ChatChannel, ChatKind, OutboxMessage, OutboxStatus
from cbpar.notify.messages import render
from cbpar.notify.models import EventKind
from cbpar.projects.models import Project

# The kinds a group chat may receive: public announcements, never anything about a person.
ANNOUNCE_KINDS: tuple[str, ...] = (
    EventKind.VOTE_OPENED.value,
    EventKind.VOTE_RESULTS.value,
    EventKind.MEETING_PLANNED.value,
    EventKind.MEETING_CHANGED.value,
    EventKind.MEETING_CANCELLED.value,
    EventKind.MILESTONE_REACHED.value,
)
TEST_KIND = "test"
# Timeouts (seconds) for each chat request: `cbpar notify send` must not hang on one group.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10


def _apprise() -> Any:
    """apprise, imported when first needed (the web app rarely needs it). Its plugins (loaded
    on first use) import
    the standard library's `imghdr`, deprecated since Python 3.11: not our warning to show."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import apprise

        apprise.Apprise.instantiate("json://localhost")  # loads the plugins (once)
    return apprise


class ChannelError(ValueError):
    """A URL we cannot send to; the message says why, for the person who pasted it."""


# --- URLs ------------------------------------------------------------------------------------

_WECOM = re.compile(r"^https://qyapi\.weixin\.qq\.com/cgi-bin/webhook/send$")
_DINGTALK = re.compile(r"^https://oapi\.dingtalk\.com/robot/send$")
_FEISHU = re.compile(r"^https://open\.(feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/([\w-]+)$")
_SCHEMES = {
    "wecombot": ChatKind.WECOM,
    "dingtalk": ChatKind.DINGTALK,
    "feishu": ChatKind.FEISHU,
    "slack": ChatKind.SLACK,
    "matrix": ChatKind.MATRIX,
    "matrixs": ChatKind.MATRIX,
    "json": ChatKind.JSON,
    "jsons": ChatKind.JSON,
}

EXAMPLES = _l(
    "Paste the robot's webhook address from the group's settings, e.g. "
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… (WeCom) or "
    "https://oapi.dingtalk.com/robot/send?access_token=… (DingTalk)."
)


def _apprise_url(url: str) -> tuple[ChatKind, str]:
    """The kind of chat and the apprise URL for a pasted webhook or apprise URL."""
    url = url.strip()
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = parse_qs(parts.query)
    if _WECOM.match(base):
        # apprise reads this form itself; keep it as apprise writes it.
        key = (query.get("key") or [""])[0]
        if not key:
            raise ChannelError(_("This WeCom address has no key=… at its end."))
        return ChatKind.WECOM, f"wecombot://{key}"
    if _DINGTALK.match(base):
        token = (query.get("access_token") or [""])[0]
        if not token:
            raise ChannelError(_("This DingTalk address has no access_token=… at its end."))
        secret = (query.get("secret") or [""])[0]  # "signing" security setting (SEC…)
        return ChatKind.DINGTALK, f"dingtalk://{secret + '@' if secret else ''}{token}/"
    match = _FEISHU.match(base)
    if match:
        return ChatKind.FEISHU, f"feishu://{match.group(2)}"
    if parts.scheme == "https" and parts.netloc == "hooks.slack.com":
        return ChatKind.SLACK, url
    kind = _SCHEMES.get(parts.scheme)
    if kind is None:
        raise ChannelError(
            _("We cannot send to this address. %(examples)s", examples=str(EXAMPLES))
        )
    return kind, url


def parse_channel_url(url: str) -> tuple[ChatKind, str]:
    """Check a chat URL when it is added; raises ChannelError with a clear message."""
    apprise = _apprise()
    if not url or len(url) > 2000:
        raise ChannelError(_("Paste the group robot's webhook address."))
    kind, apprise_url = _apprise_url(url)
    if apprise.Apprise.instantiate(apprise_url) is None:
        raise ChannelError(
            _(
                "This %(kind)s address looks incomplete or mistyped. %(examples)s",
                kind=str(kind.label),
                examples=str(EXAMPLES),
            )
        )
    return kind, apprise_url


def masked(url: str) -> str:
    """Enough of the URL to tell channels apart, never enough to post to the group."""
    scheme = urlsplit(url).scheme or "?"
    tail = re.sub(r"[/?&=]+$", "", url)[-4:]
    return f"{scheme}://••••{tail}"


# --- channels --------------------------------------------------------------------------------


def channels(project: Project) -> list[ChatChannel]:
    return list(
        db.session.scalars(
            select(ChatChannel).where(ChatChannel.project_id == project.id).order_by(ChatChannel.id)
        )
    )


def get_channel(project: Project, channel_id: int) -> ChatChannel | None:
    channel = db.session.get(ChatChannel, channel_id)
    return channel if channel is not None and channel.project_id == project.id else None


def add_channel(
    project: Project,
    url: str,
    *,
    name: str = "",
    locale: str = "zh_Hans",
    kinds: list[str] | None = None,
    by_id: int | None = None,
) -> ChatChannel:
    kind, apprise_url = parse_channel_url(url)
    if locale not in SUPPORTED_LOCALES:
        raise ChannelError(_("Unknown language: %(locale)s", locale=locale))
    chosen = [k for k in (kinds if kinds is not None else ANNOUNCE_KINDS) if k in ANNOUNCE_KINDS]
    channel = ChatChannel(
        project_id=project.id,
        name=(name.strip() or str(kind.label))[:120],
        kind=kind.value,
        url=apprise_url,
        locale=locale,
        kinds=chosen,
        active=True,
        created_by_id=by_id,
    )
    db.session.add(channel)
    db.session.flush()
    return channel


def delete_channel(channel: ChatChannel) -> None:
    """Remove the channel; its queued messages go with it (ON DELETE CASCADE)."""
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.chat_channel_id == channel.id))
    db.session.delete(channel)


def chat_text(channel: ChatChannel, project: Project, subject: str, text: str, url: str) -> str:
    """One chat message; always starts with the product's name (DingTalk's keyword check)."""
    with force_locale(channel.locale):
        head = f"【{mail.product_name()}】{project.name}"
    return "\n".join(part for part in (head, subject, text, url) if part)


def queue_chat(
    channel: ChatChannel, title: str, body: str, dedupe: str | None = None
) -> OutboxMessage:
    message = OutboxMessage(
        channel="chat",
        chat_channel_id=channel.id,
        to_address="",  # the URL stays in chat_channel only (a secret, in one place)
        subject=title[:300],
        text_body=body,
        headers={"dedupe": dedupe} if dedupe else {},
        attachments=[],
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


def queue_test(channel: ChatChannel, project: Project) -> OutboxMessage:
    with force_locale(channel.locale):
        subject = _("Test message")
        text = _("If you read this, the group will get the project's announcements.")
    body = chat_text(channel, project, subject, text, mail.absolute(f"/projects/{project.slug}"))
    return queue_chat(channel, subject, body)


def _already_announced(channel: ChatChannel, dedupe: str) -> bool:
    since = utcnow() - timedelta(days=60)
    rows = db.session.scalars(
        select(OutboxMessage.headers).where(
            OutboxMessage.chat_channel_id == channel.id, OutboxMessage.created_at >= since
        )
    )
    return any((headers or {}).get("dedupe") == dedupe for headers in rows)


def announce(event: events.Event) -> None:
    """Event handler: queue one message per active channel of the project that wants it."""
    if not event.announce or event.project_id is None or event.kind not in ANNOUNCE_KINDS:
        return
    wanted = [
        c
        for c in db.session.scalars(
            select(ChatChannel).where(
                ChatChannel.project_id == event.project_id, ChatChannel.active.is_(True)
            )
        )
        if event.kind in (c.kinds or ())
    ]
    if not wanted:
        return
    project = db.session.get(Project, event.project_id)
    if project is None:
        return
    base = mail.base_url()
    for channel in wanted:
        if event.dedupe and _already_announced(channel, event.dedupe):
            continue
        message = render(
            event.kind,
            dict(event.params),
            channel.locale,
            base_url=base,
            url=event.url,
            timezone=project.timezone,
        )
        body = chat_text(channel, project, message.subject, message.text, message.url)
        queue_chat(channel, message.subject, body, event.dedupe)


def init_delivery(app: Flask) -> None:
    """Called from cbpar/notify/integration.py: group chats hear of announce events."""
    events.register_handler(app, announce)


# --- sending ---------------------------------------------------------------------------------


def _with_timeouts(url: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}cto={CONNECT_TIMEOUT}&rto={READ_TIMEOUT}"


def send_chat(channel: ChatChannel, message: OutboxMessage) -> None:
    """Post one message to one group chat; raises RuntimeError with apprise's reason."""
    apprise = _apprise()
    client = apprise.Apprise()
    if not client.add(_with_timeouts(channel.url)):
        raise RuntimeError("apprise cannot use this channel's URL")
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:
        ok = client.notify(body=message.text_body, title="")
        if not ok:
            output: Any = logs.getvalue()
            raise RuntimeError((output or "the chat service refused the message").strip()[:2000])
