"""SQLite settings, concurrent writers, UTC timestamps, and one transaction per request."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from cbpar import create_app
from cbpar.audit import AuditEvent
from cbpar.auth.models import User
from cbpar.db import Base, db, make_engine, write_intent
from tests.helpers import config_for_tests, fresh_app


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.slow
def test_concurrent_read_then_write_transactions_never_fail_with_locked(tmp_path):
    """Eight threads each read, then write, 25 times: no 'database is locked' errors."""
    app = create_app(config_for_tests(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'c.sqlite3'}"))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        db.session.add(User(username="counter", display_name="0"))
        db.session.commit()

    errors: list[BaseException] = []

    def worker() -> None:
        for _ in range(25):
            try:
                with app.app_context():
                    write_intent.set(True)
                    user = db.session.scalar(select(User).where(User.username == "counter"))
                    user.display_name = str(int(user.display_name) + 1)  # read, then write
                    db.session.commit()
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        final = db.session.scalar(select(User.display_name).where(User.username == "counter"))
        assert final == str(8 * 25)  # no lost update either
        db.engine.dispose()


def test_timestamps_are_stored_and_returned_in_utc(ctx):
    shanghai = timezone(timedelta(hours=8))
    user = User(username="tz", created_at=datetime(2026, 1, 15, 9, 0, tzinfo=shanghai))
    db.session.add(user)
    db.session.flush()
    db.session.expire(user)
    assert user.created_at == datetime(2026, 1, 15, 1, 0, tzinfo=UTC)
    assert user.created_at.tzinfo is not None


def test_naive_datetimes_are_refused(ctx):
    db.session.add(User(username="naive", created_at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        db.session.flush()


def test_a_failed_request_saves_nothing(tmp_path):
    """One transaction per request: an error after a change rolls the change back."""
    app = fresh_app(tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.route("/test-half-done", methods=["POST"])
    def half_done():
        from cbpar import audit

        audit.record("half_done")
        raise RuntimeError("fails after writing")

    half_done.required_capability = "public"

    @app.route("/test-done", methods=["POST"])
    def done():
        from cbpar import audit

        audit.record("done")
        return "ok"

    done.required_capability = "public"
    client = app.test_client()
    assert client.post("/test-half-done").status_code == 500
    assert client.post("/test-done").status_code == 200
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions == ["done"]


def test_a_successful_request_commits_once(app, client, make_user, login):
    make_user("alice")
    login("alice")
    response = client.post("/profile", data={"display_name": "Alice W.", "locale": "en"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.display_name).where(User.username == "alice")) == (
            "Alice W."
        )


def test_database_answers(ctx):
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_get_views_that_audit_start_a_write_transaction(tmp_path):
    """A GET marked @writes begins with BEGIN IMMEDIATE on SQLite; a plain GET does not."""
    from sqlalchemy import event

    from cbpar.db import writes

    app = fresh_app(tmp_path)

    @app.route("/test-read")
    def read():
        db.session.execute(text("SELECT 1"))
        return "ok"

    @app.route("/test-audited-download")
    @writes
    def download():
        from cbpar import audit

        db.session.execute(text("SELECT 1"))
        audit.record_export(None, "test", "csv", 1)
        return "ok"

    read.required_capability = download.required_capability = "public"
    begins: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: begins.append(args[2]) if args[2].startswith("BEGIN") else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client = app.test_client()
        assert client.get("/test-read").status_code == 200
        assert client.get("/test-audited-download").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]


def test_every_get_view_that_exports_is_marked_as_writing(app):
    """Downloads are audited, so each export view must start a write transaction."""
    unmarked = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and any(word in rule.rule for word in (".csv", ".zip", "export", ".md", "ballots."))
        and not getattr(app.view_functions[rule.endpoint], "writes", False)
    ]
    assert unmarked == []
