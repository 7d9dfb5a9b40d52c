"""A log-in checks the password before it takes SQLite's write lock (the hash is slow, and
other log-ins and ballots would queue behind it: "database is locked" under load)."""

from __future__ import annotations

import sqlite3

from werkzeug import security

from tests.helpers import PASSWORD, fresh_app


def test_the_write_lock_is_free_while_the_password_is_checked(tmp_path, monkeypatch):
    app = fresh_app(tmp_path, demo=True)
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    seen: list[bool] = []
    real = security.check_password_hash

    def checking(hash_: str, password: str) -> bool:
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if the request holds the lock
            other.execute("ROLLBACK")
            seen.append(True)
        except sqlite3.OperationalError:
            seen.append(False)
        finally:
            other.close()
        return real(hash_, password)

    monkeypatch.setattr("cbpar.auth.services.check_password_hash", checking)
    client = app.test_client()
    ok = client.post("/login", data={"username": "coordinator", "password": "demo-password"})
    assert ok.status_code == 302
    bad = app.test_client().post("/login", data={"username": "coordinator", "password": PASSWORD})
    assert bad.status_code == 200
    assert seen == [True, True]
