# ruff: noqa: F401, F811  (pytest fixtures imported from delivery_support)
"""`cbpar notify send`: notifications become e-mails by each person's choice, sent once over a
real SMTP server on the loopback, retried with back-off, and safe with several senders."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cbpar import create_app
from cbpar.db import Base, db, utcnow
from cbpar.notify import sender
from cbpar.notify.delivery_models import OutboxMessage
from cbpar.notify.messages import render
from cbpar.notify.models import EmailFrequency, Notification
from tests.helpers import POSTGRES_URL, config_for_tests, fresh_app, run
from tests.notify.delivery_support import (
    add_member,
    add_project,
    emit,
    fresh_catalogs,
    make_app,
    notify_app,
    outbox,
    send,
    smtp_server,
    text_part,
)

BEIJING = ZoneInfo("Asia/Shanghai")
VOTE = {"question": "Which need first: the well or the road?", "closes": None}


def _vote_opened(app, project_id, users, round_id=1):
    emit(app, "vote_opened", project_id, users, params=VOTE,
         url=f"/projects/p1/votes/{round_id}", dedupe=f"vote_opened:{round_id}")  # fmt: skip


def test_a_vote_opened_reaches_each_voter_once_in_their_language(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    en = add_member(app, project, "ann", locale="en")
    zh = add_member(app, project, "bao", locale="zh_Hans")
    default = add_member(app, project, "chen", locale=None)  # MAIL_LOCALE: Chinese
    no_address = add_member(app, project, "dai", address=None)
    never = add_member(app, project, "fang", frequency="never")
    _vote_opened(app, project, [en, zh, default, no_address, never])

    summary = send(app)
    assert (summary.queued, summary.skipped, summary.sent) == (3, 2, 3)
    mailbox = smtp_server.mailbox
    assert len(mailbox.messages) == 3
    (ann,) = mailbox.to("ann@example.org")
    (bao,) = mailbox.to("bao@example.org")
    (chen,) = mailbox.to("chen@example.org")
    assert "vote" in ann["Subject"].lower() and "CBPAR Workspace" in ann["Subject"]
    assert VOTE["question"] in text_part(ann)
    assert "https://cbpar.example.org/projects/p1/votes/1" in text_part(ann)
    with app.app_context():
        chinese = render("vote_opened", VOTE, "zh_Hans")
    for message in (bao, chen):
        # The product's name is in the catalog already; the event's words once merged.
        assert message["Subject"] == f"{chinese.subject} · CBPAR 工作台"
        assert chinese.text in text_part(message)
        assert "你好" in text_part(message) or "Hello" in text_part(message)
    # The same event again (the inbox dedupes it) and further runs send nothing more.
    _vote_opened(app, project, [en, zh, default])
    assert send(app).sent == 0
    assert len(mailbox.messages) == 3
    with app.app_context():
        rows = db.session.execute(select(Notification.user_id, Notification.email_status))
        statuses = {user_id: status for user_id, status in rows}
    assert statuses == {
        en: "queued",
        zh: "queued",
        default: "queued",
        no_address: "skipped",
        never: "skipped",
    }


def test_muted_kinds_are_not_emailed(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    quiet = add_member(app, project, "quiet", muted=["vote_opened"])
    _vote_opened(app, project, [quiet])
    emit(app, "vote_results", project, [quiet], params={"question": "Q?"})
    assert send(app).sent == 1
    (message,) = smtp_server.mailbox.messages
    assert "Q?" in text_part(message) and VOTE["question"] not in text_part(message)


def test_a_daily_digest_gathers_a_days_events_into_one_email(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    daily = add_member(app, project, "daily", locale="en", frequency="daily")
    _vote_opened(app, project, [daily], round_id=1)
    emit(app, "meeting_planned", project, [daily],
         params={"title": "Village assembly", "starts": "2026-12-03T02:00:00+00:00",
                 "meeting_id": 999})  # fmt: skip
    emit(app, "vote_results", project, [daily], params={"question": "Which road?"})

    assert send(app).queued == 0  # before the next morning: nothing yet
    assert smtp_server.mailbox.messages == []
    with app.app_context():
        oldest = db.session.scalar(select(Notification.created_at).order_by(Notification.id))
        due = sender.digest_due_at(oldest, EmailFrequency.DAILY)
    assert due.astimezone(BEIJING).hour == sender.DIGEST_HOUR
    assert send(app, now=due - timedelta(minutes=1)).queued == 0
    summary = send(app, now=due)
    assert (summary.queued, summary.sent) == (1, 1)
    (digest,) = smtp_server.mailbox.messages
    body = text_part(digest)
    assert "3 new notifications" in digest["Subject"]
    for words in (VOTE["question"], "Village assembly", "Which road?"):
        assert words in body
    # The next event waits for the next morning's digest.
    emit(app, "vote_results", project, [daily], params={"question": "Later?"})
    with app.app_context():  # made just after this morning's digest went out
        later = db.session.scalar(select(Notification).order_by(Notification.id.desc()))
        later.created_at = due + timedelta(minutes=1)
        db.session.commit()
    assert send(app, now=due + timedelta(minutes=5)).queued == 0
    assert send(app, now=due + timedelta(days=1)).sent == 1
    assert len(smtp_server.mailbox.messages) == 2


def test_a_weekly_digest_waits_for_monday_morning(notify_app):
    with notify_app.app_context():
        from datetime import datetime

        made = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Beijing
        due = sender.digest_due_at(made, EmailFrequency.WEEKLY)
        local = due.astimezone(BEIJING)
        assert (local.weekday(), local.hour, local.day) == (0, 7, 7)
        assert sender.digest_due_at(made, EmailFrequency.DAILY).astimezone(BEIJING).day == 3


def test_a_refused_send_is_retried_with_backoff_and_then_succeeds(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    user = add_member(app, project, "ann", locale="en")
    _vote_opened(app, project, [user])
    smtp_server.mailbox.refuse = True  # 451: try again later
    summary = send(app)
    assert (summary.sent, summary.failed) == (0, 1)
    (row,) = outbox(app)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "451" in row.last_error
    assert row.next_attempt_at - utcnow() > timedelta(seconds=50)
    assert send(app).sent == 0  # not yet due

    smtp_server.stop()  # now the server is down altogether
    summary = send(app, now=utcnow() + timedelta(minutes=2))
    assert summary.failed == 1
    (row,) = outbox(app)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.next_attempt_at - utcnow() > timedelta(minutes=4)  # 5 minutes after the 2nd

    smtp_server.mailbox.refuse = False
    smtp_server.start()
    summary = send(app, now=utcnow() + timedelta(minutes=10))
    assert summary.sent == 1
    (row,) = outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert len(smtp_server.mailbox.messages) == 1


def test_after_max_attempts_a_message_is_given_up(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    _vote_opened(app, project, [add_member(app, project, "ann")])
    smtp_server.mailbox.refuse = True
    later = utcnow()
    for _attempt in range(sender.MAX_ATTEMPTS):
        send(app, now=later)
        later += timedelta(days=2)
    (row,) = outbox(app)
    assert (row.status, row.attempts) == ("dead", sender.MAX_ATTEMPTS)
    assert send(app, now=later).failed == 0


def test_backoff_grows_five_fold_and_is_capped():
    assert [sender.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 5, 25, 125]
    assert sender.backoff(9) == timedelta(days=1)


def test_without_smtp_configured_emails_wait_in_the_outbox(tmp_path):
    app = make_app(tmp_path, None)
    project = add_project(app)
    _vote_opened(app, project, [add_member(app, project, "ann")])
    summary = send(app)
    assert (summary.queued, summary.sent, summary.waiting) == (1, 0, 1)
    assert "waiting for CBPAR_SMTP_URL 1" in summary.line()
    assert outbox(app)[0].status == "pending"


def test_the_command_prints_a_one_line_summary(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    _vote_opened(app, project, [add_member(app, project, "ann")])
    result = run(app, "notify", "send", "--once")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        "reminders 0, e-mails queued 1, skipped 0, sent 1, failed 0, gave up 0"
    ]
    assert len(smtp_server.mailbox.messages) == 1


def test_due_reminders_are_emitted_and_told_once(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    user = add_member(app, project, "ann", locale="en")
    from cbpar import events

    def closing_soon(now):
        return [events.Event("vote_closing", project, (user,), {"question": "Road?",
                             "closes": None}, "/", dedupe="vote_closing:5")]  # fmt: skip

    events.register_reminders(app, closing_soon)
    assert send(app).reminders == 1
    assert send(app).reminders == 1  # the source is asked each run; the inbox dedupes
    assert len(smtp_server.mailbox.messages) == 1


# --- several senders at once -------------------------------------------------------------------


def _race(apps, smtp_server, users: int) -> None:
    barrier = threading.Barrier(len(apps))
    errors: list[BaseException] = []

    def one(app, index):
        try:
            with app.app_context():
                barrier.wait()
                sender.run_once(worker=f"test:{index}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one, args=(a, i)) for i, a in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    received = [m["To"] for m in smtp_server.mailbox.messages]
    assert len(received) == users
    assert len(set(received)) == users, "someone got the same e-mail twice"


def _many_voters(app, n: int) -> None:
    project = add_project(app)
    voters = [add_member(app, project, f"v{i:02d}") for i in range(n)]
    _vote_opened(app, project, voters)


@pytest.mark.slow
def test_two_senders_at_once_send_each_message_once_on_sqlite(tmp_path, smtp_server):
    first = make_app(tmp_path, smtp_server)
    second = make_app(tmp_path, smtp_server)  # the same database file, its own connections
    _many_voters(first, 24)
    _race([first, second], smtp_server, 24)
    rows = outbox(first)
    assert len(rows) == 24 and {r.status for r in rows} == {"sent"}
    assert {r.attempts for r in rows} == {1}


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES_URL, reason="set CBPAR_TEST_DATABASE_URL to run this")
def test_two_senders_at_once_send_each_message_once_on_postgresql(tmp_path, smtp_server):
    config = config_for_tests(
        tmp_path, SMTP_URL=smtp_server.url, BASE_URL="https://cbpar.example.org"
    )
    first, second = create_app(dict(config)), create_app(dict(config))
    with first.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
    try:
        _many_voters(first, 24)
        _race([first, second], smtp_server, 24)
        assert {r.status for r in outbox(first)} == {"sent"}
    finally:
        with second.app_context():
            db.session.close()
            db.engine.dispose()
        with first.app_context():
            db.session.close()
            # Leave the shared test database as the session's `app` fixture made it: empty
            # tables (the rest of the suite runs on it after this test).
            Base.metadata.drop_all(db.engine)
            Base.metadata.create_all(db.engine)
            db.engine.dispose()


def test_a_claim_is_taken_by_one_worker_only_and_expires(notify_app):
    app = notify_app
    project = add_project(app)
    _vote_opened(app, project, [add_member(app, project, "ann")])
    with app.app_context():
        sender.queue_notification_emails(utcnow(), sender.Summary())
        message_id = db.session.scalar(select(OutboxMessage.id))
        now = utcnow()
        assert sender.claim(message_id, "a", now)
        db.session.commit()
        assert not sender.claim(message_id, "b", now)
        db.session.rollback()
        # A sender that died mid-send: after its claim runs out, another takes the message.
        later = now + timedelta(minutes=sender.CLAIM_MINUTES + 1)
        assert sender.claim(message_id, "b", later)
        db.session.commit()
        assert sender._finish(message_id, "a", None) == "lost"  # a's late result is ignored
        assert db.session.get(OutboxMessage, message_id).claimed_by == "b"


def test_fresh_app_helper_is_shared(tmp_path):
    # Two apps on one folder share one database (what the SQLite race test relies on).
    first, second = fresh_app(tmp_path), fresh_app(tmp_path)
    add_project(first, "shared")
    with second.app_context():
        from cbpar.projects.models import Project

        assert db.session.scalar(select(Project.slug)) == "shared"


def test_a_broken_reminder_source_does_not_stop_the_emails(notify_app, smtp_server):
    app = notify_app
    project = add_project(app)
    _vote_opened(app, project, [add_member(app, project, "ann")])
    from cbpar import events

    def broken(now):
        raise RuntimeError("the care feature's query failed")

    events.register_reminders(app, broken)
    summary = send(app)
    assert summary.sent == 1
    assert any("reminders: RuntimeError" in e for e in summary.errors)
