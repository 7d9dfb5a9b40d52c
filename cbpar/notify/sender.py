"""`cbpar notify send`: everything that leaves the app, once a minute (systemd timer or cron).

Each run:
1. asks every reminder source what is due now (`cbpar.events.due_reminders`) and emits it;
   the inbox handler's dedupe key makes sure each person hears of a reminder once;
2. turns notifications not yet e-mailed into outbox e-mails by each person's choice: at once
   (one e-mail each), a daily digest (a day's notifications in one e-mail, sent at or after
   the next DIGEST_HOUR o'clock in DEFAULT_TIMEZONE after the oldest of them), a weekly
   digest (the same, on the next Monday), or never; muted kinds, "never", and people without
   a confirmed address are marked "skipped" (the inbox still has everything), and so are
   notifications still not e-mailed after STALE_DAYS (a sender that was down for days
   does not flood people with old news);
3. sends the outbox messages that are due (e-mail over SMTP, chats through apprise), records
   the outcome, and retries a failure after 1, 5, 25, 125 ... minutes (at most a day apart),
   MAX_ATTEMPTS times in all, then gives up ("dead").

Several servers may run it at the same moment: a row is claimed by an UPDATE that only
succeeds while the row is still unclaimed (checked by its rowcount) and the claim is
committed before anything is sent, so each message is sent once. A claim lasts CLAIM_MINUTES:
if a sender dies mid-send, another takes the message over after that. Turning notifications
into e-mails is claimed the same way (email_status "pending" -> "queued") in the transaction
that writes the e-mail.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from cbpar import events
from cbpar.auth.models import User
from cbpar.db import db, utcnow
from cbpar.notify import delivery, mail
from cbpar.notify.delivery_models import ChatChannel, OutboxMessage, OutboxStatus
from cbpar.notify.models import EmailFrequency, EmailStatus, Notification, NotificationSettings

MAX_ATTEMPTS = 8
CLAIM_MINUTES = 5
DIGEST_HOUR = 7  # digests go out at or after 07:00 in the deployment's time zone
BATCH = 200  # messages read at a time
TIME_BUDGET = 45  # seconds a run keeps sending; the next run (a minute later) takes the rest
STALE_DAYS = 8  # notifications not e-mailed by then stay in the inbox only


@dataclass
class Summary:
    reminders: int = 0
    queued: int = 0  # notification e-mails written to the outbox
    skipped: int = 0  # notifications not e-mailed (never, muted, no address)
    sent: int = 0
    failed: int = 0
    dead: int = 0
    waiting: int = 0  # e-mails held because no SMTP server is configured
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = (
            f"reminders {self.reminders}, e-mails queued {self.queued}, skipped {self.skipped}, "
            f"sent {self.sent}, failed {self.failed}, gave up {self.dead}"
        )
        if self.waiting:
            text += f", waiting for CBPAR_SMTP_URL {self.waiting}"
        return text


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 5, 25, 125, 625 minutes, then a day."""
    return timedelta(minutes=min(5 ** max(attempts - 1, 0), 24 * 60))


# --- 1. reminders ----------------------------------------------------------------------------


def emit_reminders(now: datetime, summary: Summary) -> int:
    try:
        due = events.due_reminders(now)
        for event in due:
            events.emit(event)
        db.session.commit()
    except Exception as error:  # a broken reminder source must not stop the e-mails
        db.session.rollback()
        summary.errors.append(f"reminders: {type(error).__name__}: {error}")
        return 0
    return len(due)


# --- 2. notifications to e-mails -------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("DEFAULT_TIMEZONE") or "Asia/Shanghai")


def digest_due_at(oldest: datetime, frequency: EmailFrequency) -> datetime:
    """When a digest holding a notification made at `oldest` goes out: the next DIGEST_HOUR
    o'clock after it (daily), or the next Monday at that hour (weekly), local time."""
    zone = _zone()
    local = oldest.astimezone(zone)
    at = datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=zone)
    if at <= local:
        at += timedelta(days=1)
    if frequency == EmailFrequency.WEEKLY:
        at += timedelta(days=(7 - at.weekday()) % 7)
    return at


def _claim_notifications(ids: list[int], status: str) -> list[int]:
    """Mark each still-pending notification; the ids this run got (others took the rest)."""
    claimed = []
    for notification_id in ids:
        result = db.session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.email_status == EmailStatus.PENDING,
            )
            .values(email_status=status)
        )
        if result.rowcount == 1:
            claimed.append(notification_id)
    return claimed


def queue_notification_emails(now: datetime, summary: Summary) -> None:
    stale = db.session.execute(
        update(Notification)
        .where(
            Notification.email_status == EmailStatus.PENDING,
            Notification.created_at < now - timedelta(days=STALE_DAYS),
        )
        .values(email_status=EmailStatus.SKIPPED)
        .execution_options(synchronize_session=False)
    )
    summary.skipped += stale.rowcount or 0
    db.session.commit()
    pending = db.session.execute(
        select(Notification.id, Notification.user_id, Notification.kind, Notification.created_at)
        .where(Notification.email_status == EmailStatus.PENDING)
        .order_by(Notification.id)
        .limit(BATCH * 5)
    ).all()
    db.session.rollback()  # end the read; each person's e-mails are one short write below
    by_user: dict[int, list] = defaultdict(list)
    for row in pending:
        by_user[row.user_id].append(row)
    for user_id, rows in by_user.items():
        try:
            _queue_for_user(user_id, rows, now, summary)
            db.session.commit()
        except Exception as error:  # one person's data must not stop everyone's e-mail
            db.session.rollback()
            summary.errors.append(f"user {user_id}: {error}")


def _queue_for_user(user_id: int, rows: list, now: datetime, summary: Summary) -> None:
    user = db.session.get(User, user_id)
    settings = db.session.get(NotificationSettings, user_id)
    if (
        user is None
        or settings is None
        or not settings.email
        or settings.frequency == EmailFrequency.NEVER
    ):
        summary.skipped += len(_claim_notifications([r.id for r in rows], EmailStatus.SKIPPED))
        return
    muted = set(settings.muted_kinds or ())
    summary.skipped += len(
        _claim_notifications([r.id for r in rows if r.kind in muted], EmailStatus.SKIPPED)
    )
    wanted = [r for r in rows if r.kind not in muted]
    if not wanted:
        return
    frequency = settings.frequency
    if frequency == EmailFrequency.IMMEDIATE:
        for row in wanted:
            if _claim_notifications([row.id], EmailStatus.QUEUED):
                mail.notification_email(user, settings, [db.session.get(Notification, row.id)])
                summary.queued += 1
        return
    oldest = min(r.created_at for r in wanted)
    if now < digest_due_at(oldest, frequency):
        return
    claimed = _claim_notifications([r.id for r in wanted], EmailStatus.QUEUED)
    if not claimed:
        return
    notifications = list(
        db.session.scalars(
            select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id)
        )
    )
    mail.notification_email(user, settings, notifications)
    settings.last_digest_at = now
    summary.queued += 1


# --- 3. the outbox ---------------------------------------------------------------------------


def _due(now: datetime):
    return or_(
        and_(
            OutboxMessage.status.in_((OutboxStatus.PENDING.value, OutboxStatus.FAILED.value)),
            OutboxMessage.next_attempt_at <= now,
        ),
        and_(
            OutboxMessage.status == OutboxStatus.SENDING.value,
            OutboxMessage.claimed_until < now,
        ),
    )


def claim(message_id: int, worker: str, now: datetime) -> bool:
    """Take one due message for this worker; False if another worker has it (or it is done).
    The caller commits before sending, so the claim is seen by every other server."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now))
        .values(
            status=OutboxStatus.SENDING.value,
            claimed_by=worker,
            claimed_until=now + timedelta(minutes=CLAIM_MINUTES),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _finish(message_id: int, worker: str, error: str | None, permanent: bool = False) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.claimed_by != worker:
        return "lost"  # the claim ran out and another worker took it over
    message.attempts += 1
    message.claimed_by = None
    message.claimed_until = None
    now = utcnow()
    if error is None:
        message.status = OutboxStatus.SENT.value
        message.sent_at = now
        message.last_error = ""
    elif permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.DEAD.value
        message.last_error = error[:2000]
    else:
        message.status = OutboxStatus.FAILED.value
        message.last_error = error[:2000]
        message.next_attempt_at = now + backoff(message.attempts)
    db.session.commit()
    return message.status


def _send_one(
    message: OutboxMessage, channel: ChatChannel | None, smtp: mail.SmtpSender | None
) -> tuple[str | None, bool]:
    """(error or None, whether the error is permanent). Runs outside any transaction."""
    try:
        if message.channel == "email":
            if smtp is None:
                return "no SMTP server configured", False
            smtp.send(mail.to_mime(message))
        elif message.channel == "chat":
            if channel is None or not channel.active:
                return "the chat channel was disabled", True
            delivery.send_chat(channel, message)
        else:
            return f"unknown channel {message.channel!r}", True
    except Exception as error:
        return f"{type(error).__name__}: {error}", False
    return None, False


def send_due(now: datetime, worker: str, summary: Summary) -> None:
    now = max(now, utcnow())  # e-mails queued a moment ago in this run are due
    query = select(OutboxMessage.id, OutboxMessage.channel).where(_due(now))
    if not current_app.config.get("SMTP_URL"):
        summary.waiting = (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(_due(now), OutboxMessage.channel == "email")
            )
            or 0
        )
        query = query.where(OutboxMessage.channel != "email")
    url = current_app.config.get("SMTP_URL")
    smtp = mail.SmtpSender(url) if url else None
    started = monotonic()
    last_id = 0  # each message at most once per run, in id order
    try:
        while monotonic() - started < TIME_BUDGET:
            batch = query.where(OutboxMessage.id > last_id).order_by(OutboxMessage.id)
            ids = list(db.session.scalars(batch.limit(BATCH).with_only_columns(OutboxMessage.id)))
            db.session.rollback()
            if not ids:
                return
            for message_id in ids:
                _send_row(message_id, worker, now, summary, smtp)
            last_id = ids[-1]
    finally:
        if smtp is not None:
            smtp.close()


def _send_row(
    message_id: int, worker: str, now: datetime, summary: Summary, smtp: mail.SmtpSender | None
) -> None:
    if not claim(message_id, worker, now):
        db.session.rollback()
        return
    db.session.commit()  # the claim is visible to every other sender before we send
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    channel = None
    if message.chat_channel_id is not None:
        channel = db.session.get(ChatChannel, message.chat_channel_id)
    # Read what to send, then end the transaction: no lock is held while sending (on
    # SQLite every command-line transaction takes the write lock).
    db.session.expunge_all()
    db.session.rollback()
    error, permanent = _send_one(message, channel, smtp)
    db.session.rollback()
    status = _finish(message_id, worker, error, permanent)
    if status == OutboxStatus.SENT.value:
        summary.sent += 1
    elif status == OutboxStatus.DEAD.value:
        summary.dead += 1
    elif status == OutboxStatus.FAILED.value:
        summary.failed += 1
    if error:
        summary.errors.append(f"message {message_id}: {error}")


def run_once(now: datetime | None = None, worker: str | None = None) -> Summary:
    """One run of `cbpar notify send`."""
    now = now or utcnow()
    worker = worker or worker_id()
    summary = Summary()
    summary.reminders = emit_reminders(now, summary)
    queue_notification_emails(now, summary)
    send_due(now, worker, summary)
    return summary
