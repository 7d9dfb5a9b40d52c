"""Issue 11, finding 2: log-in throttling slows attackers, never the owner or a village hall.

Failures only are counted, per (account, address), with a much higher ceiling per address;
the counts live in Flask-Limiter's storage, so Redis shares them between app processes.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from cbpar.auth.models import User
from cbpar.auth.services import set_password
from cbpar.db import db
from tests.helpers import PASSWORD, fresh_app

A = {"REMOTE_ADDR": "198.51.100.7"}
B = {"REMOTE_ADDR": "203.0.113.66"}
WAIT_EN = "Too many failed log-ins for this account from here. Wait 15 minutes, then try again."
WAIT_ZH = "这个账号在这里登录失败的次数太多。请等 15 分钟后再试。"


def throttled_app(tmp_path, **extra):
    app = fresh_app(tmp_path, LOGIN_RATE_LIMIT_ENABLED=True, **extra)
    with app.app_context():
        for name in ("alice", "bob", *(f"person{i}" for i in range(12))):
            user = User(username=name)
            set_password(user, PASSWORD)
            db.session.add(user)
        db.session.commit()
    return app


def attempt(client, username: str, password: str, environ=A):
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base=environ
    )


def test_right_password_from_a_quiet_address_works_while_another_hammers_the_account(tmp_path):
    app = throttled_app(tmp_path)
    attacker = app.test_client()
    statuses = [attempt(attacker, "alice", f"guess-{i}", B).status_code for i in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    # Even the right password is refused from the hammering address until the wait is over...
    assert attempt(attacker, "alice", PASSWORD, B).status_code == 429
    # ...but the owner, from their own address, gets in.
    owner = app.test_client()
    assert attempt(owner, "alice", PASSWORD, A).status_code == 302


def test_many_successful_logins_from_one_address_lock_nobody_out(tmp_path):
    """A training session in a village office: everyone behind one router logs in."""
    app = throttled_app(tmp_path)
    for i in range(12):
        person = app.test_client()
        assert attempt(person, f"person{i}", PASSWORD).status_code == 302, f"person{i}"
    for _ in range(12):  # the same person logging in again and again
        assert attempt(app.test_client(), "alice", PASSWORD).status_code == 302


def test_the_owner_s_own_typing_mistakes_are_forgiven_after_a_success(tmp_path):
    app = throttled_app(tmp_path)
    client = app.test_client()
    for i in range(9):
        assert attempt(client, "alice", f"typo-{i}").status_code == 200
    assert attempt(client, "alice", PASSWORD).status_code == 302
    client = app.test_client()
    for i in range(9):
        assert attempt(client, "alice", f"typo-again-{i}").status_code == 200


def test_an_address_trying_many_usernames_meets_the_address_ceiling(tmp_path):
    app = throttled_app(tmp_path, LOGIN_ADDRESS_RATE_LIMIT="5 per 15 minutes")
    client = app.test_client()
    statuses = [attempt(client, f"user{i}", "wrong password").status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]
    assert attempt(client, "bob", PASSWORD, B).status_code == 302  # other addresses unaffected


def test_invalid_forms_are_not_counted(tmp_path):
    app = throttled_app(tmp_path)
    client = app.test_client()
    for _ in range(12):
        assert attempt(client, "alice", "").status_code == 422
    assert attempt(client, "alice", PASSWORD).status_code == 302


def test_the_429_page_keeps_the_form_and_says_how_long_to_wait(tmp_path):
    app = throttled_app(tmp_path)
    client = app.test_client()
    for i in range(10):
        attempt(client, "alice", f"guess-{i}")
    response = attempt(client, "alice", "guess-10")
    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert WAIT_EN in body
    assert 'name="username"' in body and 'value="alice"' in body and 'name="password"' in body
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


def test_the_429_page_speaks_chinese(tmp_path):
    app = throttled_app(tmp_path)
    client = app.test_client()
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    for i in range(10):
        client.post("/login", data={"username": "alice", "password": f"x{i}"}, headers=chinese)
    response = client.post("/login", data={"username": "alice", "password": "x10"}, headers=chinese)
    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert WAIT_ZH in body
    assert "用户名" in body and 'name="password"' in body


def test_ipv6_addresses_count_per_network(tmp_path):
    app = throttled_app(tmp_path, LOGIN_RATE_LIMIT="3 per 15 minutes")
    client = app.test_client()
    for i in range(3):
        address = {"REMOTE_ADDR": f"2001:db8:1:2::{i + 1}"}
        assert attempt(client, "alice", "wrong password", address).status_code == 200
    rotated = {"REMOTE_ADDR": "2001:db8:1:2::99"}
    assert attempt(client, "alice", "wrong password", rotated).status_code == 429
    elsewhere = {"REMOTE_ADDR": "2001:db8:1:3::1"}
    assert attempt(client, "alice", PASSWORD, elsewhere).status_code == 302


def test_behind_a_trusted_proxy_visitors_are_told_apart(tmp_path):
    app = throttled_app(tmp_path, TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="3 per 15 minutes")
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for i in range(4):
        client.post(
            "/login",
            data={"username": "alice", "password": f"x{i}"},
            environ_base=proxy,
            headers={"X-Forwarded-For": "203.0.113.66"},
        )
    owner = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD},
        environ_base=proxy,
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert owner.status_code == 302


def test_invitation_links_tried_from_one_address_meet_the_ceiling(tmp_path):
    app = throttled_app(tmp_path, LOGIN_ADDRESS_RATE_LIMIT="3 per 15 minutes")
    client = app.test_client()
    statuses = [client.get(f"/invitations/guess{i}").status_code for i in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert "15" in client.get("/invitations/guess").get_data(as_text=True)


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_failures_are_shared_between_app_processes_through_redis(tmp_path, redis_url):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = throttled_app(tmp_path / "one", RATELIMIT_STORAGE_URI=redis_url)
    client = first.test_client()
    for i in range(10):
        assert attempt(client, "alice", f"guess-{i}", B).status_code == 200
    # A second process (another app on the same Redis) sees the same count.
    second = throttled_app(tmp_path / "two", RATELIMIT_STORAGE_URI=redis_url)
    other = second.test_client()
    assert attempt(other, "alice", "guess-10", B).status_code == 429
    assert attempt(other, "alice", PASSWORD, A).status_code == 302
