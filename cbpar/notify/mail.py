"""E-mail: confirming an address, one-click unsubscribe (RFC 8058), building the messages
(subject, plain-text part, HTML part, the meeting's .ics) and handing them to SMTP.

Nothing here sends from a web request: `queue_email` writes an OutboxMessage in the current
transaction, and `cbpar notify send` (cbpar/notify/sender.py) calls `send_smtp` later.

Configuration (cbpar/config.py, docs/notifications.md):
- SMTP_URL (CBPAR_SMTP_URL): `smtp://user:password@host:587` (STARTTLS), `smtps://user:
  password@host:465` (TLS from the first byte), `smtp://127.0.0.1:25` (plain, for a relay on
  the loopback). Empty: e-mails wait in the outbox.
- MAIL_FROM (CBPAR_MAIL_FROM): the sender, e.g. `CBPAR Workspace <cbpar@example.org>`.
- BASE_URL (CBPAR_BASE_URL): where the app is reached, for the links in e-mails and chats.
- MAIL_LOCALE (CBPAR_MAIL_LOCALE): the language for people who chose none.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, render_template, request
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from cbpar.db import db, utcnow
from cbpar.i18n import SUPPORTED_LOCALES
from cbpar.meetings import calendar
from cbpar.meetings import services as meetings
from cbpar.notify.delivery_models import OutboxMessage, OutboxStatus
from cbpar.notify.models import Notification, NotificationSettings
from cbpar.projects.models import Project

if TYPE_CHECKING:
    from cbpar.auth.models import User

CONFIRM_HOURS = 48
SMTP_TIMEOUT = 30  # seconds; the sender's run must not hang on a dead server
MEETING_KINDS = frozenset({"meeting_planned", "meeting_changed", "meeting_cancelled"})


# --- configuration -----------------------------------------------------------------------------


def base_url() -> str:
    """The app's address without a trailing slash: BASE_URL, else this request's root."""
    configured = (current_app.config.get("BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    if has_request_context():
        return request.url_root.rstrip("/")
    scheme = current_app.config.get("PREFERRED_URL_SCHEME") or "http"
    return f"{scheme}://{current_app.config.get('SERVER_NAME') or 'localhost'}"


def absolute(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return base_url() + (path if path.startswith("/") else "/" + path)


def locale_for(user: User | None) -> str:
    """The person's language, else MAIL_LOCALE (Chinese: the people the product is for)."""
    if user is not None and user.locale in SUPPORTED_LOCALES:
        return user.locale
    configured = current_app.config.get("MAIL_LOCALE") or "zh_Hans"
    return configured if configured in SUPPORTED_LOCALES else "zh_Hans"


def product_name() -> str:
    """The product's name in the current locale; every message contains it (DingTalk robots
    with the "keyword" security setting accept only messages containing "CBPAR")."""
    return _("CBPAR Workspace")


def mail_from() -> str:
    return current_app.config.get("MAIL_FROM") or "CBPAR Workspace <cbpar@localhost>"


def _domain() -> str:
    address = parseaddr(mail_from())[1]
    return address.rpartition("@")[2] or "localhost"


# --- the outbox --------------------------------------------------------------------------------


def queue_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> OutboxMessage:
    """An e-mail waiting in the outbox (same transaction as the caller's change)."""
    all_headers = {"Message-ID": make_msgid(domain=_domain())}
    all_headers.update(headers or {})
    message = OutboxMessage(
        channel="email",
        user_id=user_id,
        to_address=to,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        headers=all_headers,
        attachments=attachments or [],
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


# --- address confirmation ----------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _settings(user: User) -> NotificationSettings:
    from cbpar.notify import services  # services may use this module

    return services.settings_for(user)


def request_confirmation(user: User, address: str) -> None:
    """Keep `address` as the person's pending address and e-mail it a confirmation link
    (valid CONFIRM_HOURS hours, usable once). The verified address stays until then."""
    settings = _settings(user)
    token = secrets.token_urlsafe(32)
    settings.pending_email = address.strip()
    settings.confirm_token_hash = _hash(token)
    settings.confirm_sent_at = utcnow()
    link = absolute(f"/me/notifications/confirm/{token}")
    with force_locale(locale_for(user)):
        subject = _("%(product)s: confirm your e-mail address", product=product_name())
        text = _(
            "Hello %(name)s,\n\nto get notifications from %(product)s at this address, open "
            "this link within 48 hours (you need to be logged in):\n\n%(link)s\n\nIf you did "
            "not ask for this, ignore this e-mail: nothing will be sent to you.",
            name=user.name,
            product=product_name(),
            link=link,
        )
        html = render_template(
            "notify/email.html",
            subject=subject,
            items=[{"text": text.split("\n\n")[1], "url": link, "link_text": _("Confirm")}],
            intro=_("Hello %(name)s,", name=user.name),
            footer=_("If you did not ask for this, ignore this e-mail."),
            product=product_name(),
            unsubscribe=None,
            settings_url=None,
        )
    queue_email(to=settings.pending_email, subject=subject, text=text, html=html, user_id=user.id)


def confirm_address(user: User, token: str) -> str:
    """Make the pending address the verified one. Returns "confirmed", or why not:
    "invalid" (unknown or used), "expired", "other_user" (the link is someone else's)."""
    row = db.session.scalar(
        select(NotificationSettings).where(NotificationSettings.confirm_token_hash == _hash(token))
    )
    if row is None or not row.pending_email:
        return "invalid"
    if row.user_id != user.id:
        return "other_user"
    sent = row.confirm_sent_at
    if sent is None or utcnow() - sent > timedelta(hours=CONFIRM_HOURS):
        row.confirm_token_hash = None
        return "expired"
    row.email = row.pending_email
    row.pending_email = None
    row.confirm_token_hash = None  # single use
    return "confirmed"


# --- unsubscribe -------------------------------------------------------------------------------


def unsubscribe_token(settings: NotificationSettings) -> str:
    if not settings.unsubscribe_token:
        settings.unsubscribe_token = secrets.token_urlsafe(32)
    return settings.unsubscribe_token


def unsubscribe_url(settings: NotificationSettings) -> str:
    """The one-click unsubscribe link of this person's e-mails (made on first use)."""
    return absolute(f"/notifications/unsubscribe/{unsubscribe_token(settings)}")


def settings_for_unsubscribe(token: str) -> NotificationSettings | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(NotificationSettings).where(NotificationSettings.unsubscribe_token == token)
    )


def unsubscribe(token: str) -> bool:
    """Stop every e-mail to the person this token belongs to (the inbox keeps everything)."""
    settings = settings_for_unsubscribe(token)
    if settings is None:
        return False
    settings.email_frequency = "never"
    return True


def unsubscribe_headers(settings: NotificationSettings) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail programs POST `List-Unsubscribe=One-Click`."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(settings)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- notification e-mails ----------------------------------------------------------------------


def _ics_for(notification: Notification) -> dict[str, str] | None:
    """The meeting's calendar entry (the meetings feature's own iCalendar code)."""
    if notification.kind not in MEETING_KINDS or notification.project_id is None:
        return None
    project = db.session.get(Project, notification.project_id)
    meeting_id = (notification.params or {}).get("meeting_id")
    if project is None or not isinstance(meeting_id, int):
        return None
    meeting = meetings.get_meeting(project, meeting_id)
    if meeting is None:
        return None
    if has_request_context():
        body = calendar.meetings_ics([(project, meeting)], name=meeting.title)
    else:  # the command line: url_for(_external=True) needs a request's host
        with current_app.test_request_context(base_url=base_url()):
            body = calendar.meetings_ics([(project, meeting)], name=meeting.title)
    return {"filename": "meeting.ics", "content_type": "text/calendar", "text": body}


def notification_email(
    user: User, settings: NotificationSettings, notifications: list[Notification]
) -> OutboxMessage:
    """One e-mail about one notification, or a digest of several, in the person's language,
    queued to their verified address with the one-click unsubscribe headers."""
    from cbpar.notify import services

    assert settings.email, "only verified addresses get e-mails"
    locale = locale_for(user)
    base = base_url()
    unsubscribe = unsubscribe_url(settings)
    projects = services.project_timezones(n.project_id for n in notifications)
    attachments: list[dict[str, str]] = []
    with force_locale(locale):
        items = []
        for notification in notifications:
            project = projects.get(notification.project_id or 0)
            rendered = services.message_of(
                notification, locale, project[2] if project else None, base_url=base
            )
            items.append(
                {
                    "subject": rendered.subject,
                    "text": rendered.text,
                    "url": absolute(rendered.url),
                    "link_text": _("Open in the app"),
                    "project": project[0] if project else "",
                }
            )
            ics = _ics_for(notification)
            if ics is not None and len(attachments) < 5:
                attachments.append(ics)
        product = product_name()
        if len(items) == 1:
            subject = f"{items[0]['subject']} · {product}"
            intro = _("Hello %(name)s,", name=user.name)
        else:
            subject = ngettext(
                "%(num)d new notification · %(product)s",
                "%(num)d new notifications · %(product)s",
                len(items),
                product=product,
            )
            intro = _("Hello %(name)s, here is what happened:", name=user.name)
        settings_url = absolute("/me/notifications/settings")
        footer = _(
            "You get this e-mail because of your notification settings in %(product)s.",
            product=product,
        )
        lines = [intro, ""]
        for item in items:
            where = f" ({item['project']})" if item["project"] else ""
            lines += [f"* {item['subject']}{where}", f"  {item['text']}", f"  {item['url']}", ""]
        lines += [
            "-- ",
            footer,
            _("Change what you get: %(url)s", url=settings_url),
            _("Stop all e-mails: %(url)s", url=unsubscribe),
        ]
        text = "\n".join(lines)
        html = render_template(
            "notify/email.html",
            subject=subject,
            intro=intro,
            items=items,
            footer=footer,
            product=product,
            unsubscribe=unsubscribe,
            settings_url=settings_url,
        )
    return queue_email(
        to=settings.email,
        subject=subject,
        text=text,
        html=html,
        user_id=user.id,
        headers=unsubscribe_headers(settings),
        attachments=attachments,
    )


# --- MIME and SMTP -----------------------------------------------------------------------------


def to_mime(message: OutboxMessage, sender: str | None = None) -> EmailMessage:
    """The outbox row as an e-mail: plain text, then HTML as the alternative, then files."""
    mime = EmailMessage()
    mime["From"] = sender or mail_from()
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    for name, value in (message.headers or {}).items():
        mime[name] = value
    if "Message-ID" not in mime:
        mime["Message-ID"] = make_msgid(domain=_domain())
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text_body, subtype="plain", charset="utf-8")
    if message.html_body:
        mime.add_alternative(message.html_body, subtype="html", charset="utf-8")
    for attachment in message.attachments or []:
        maintype, _slash, subtype = attachment.get("content_type", "text/plain").partition("/")
        if maintype == "text":
            mime.add_attachment(
                attachment["text"],
                subtype=subtype or "plain",
                charset="utf-8",
                filename=attachment.get("filename", "attachment.txt"),
            )
        else:  # only text attachments are queued today
            mime.add_attachment(
                attachment["text"].encode("utf-8"),
                maintype=maintype,
                subtype=subtype,
                filename=attachment.get("filename", "attachment"),
            )
    return mime


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    username: str
    password: str

    @classmethod
    def parse(cls, url: str) -> SmtpSettings:
        """smtp://[user:password@]host[:port] (STARTTLS when offered; required with a
        password unless the host is the loopback), smtps://... (TLS from the start)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("CBPAR_SMTP_URL must look like smtp://user:password@host:587")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()  # loading the CA certificates takes ~0.1 s: once


class SmtpSender:
    """One connection to the SMTP server, opened on first use and kept for a whole run of
    the sender (a new connection per e-mail is slow); any failure closes it, the next e-mail
    opens a new one. Raises on every failure (the sender records it and retries later)."""

    def __init__(self, url: str, timeout: float = SMTP_TIMEOUT) -> None:
        self.settings = SmtpSettings.parse(url)
        self.timeout = timeout
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        smtp = self.settings
        client: smtplib.SMTP
        if smtp.implicit_tls:
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=self.timeout, context=_tls_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=self.timeout)
        try:
            client.ehlo()
            if not smtp.implicit_tls:
                if client.has_extn("starttls"):
                    client.starttls(context=_tls_context())
                    client.ehlo()
                elif smtp.username and not smtp.loopback:
                    raise smtplib.SMTPException(
                        "the server offers no STARTTLS; refusing to send the password in clear text"
                    )
            if smtp.username:
                client.login(smtp.username, smtp.password)
        except BaseException:
            client.close()
            raise
        return client

    def send(self, mime: EmailMessage) -> None:
        if self.client is None:
            self.client = self._connect()
        try:
            refused = self.client.send_message(mime)
        except BaseException:
            self.close()
            raise
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def send_smtp(mime: EmailMessage, url: str, timeout: float = SMTP_TIMEOUT) -> None:
    """Hand one e-mail to the SMTP server on a connection of its own."""
    sender = SmtpSender(url, timeout)
    try:
        sender.send(mime)
    finally:
        sender.close()


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_URL"))
