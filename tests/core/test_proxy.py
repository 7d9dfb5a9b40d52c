"""Behind a reverse proxy the app sees the client's real address and scheme, only when told."""

from __future__ import annotations

from flask import request

from tests.helpers import fresh_app

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def _seen(app):
    @app.get("/_seen")
    def seen():
        return f"{request.remote_addr} {request.scheme}"

    return app.test_client().get("/_seen", headers=FORWARDED).get_data(as_text=True)


def test_forwarded_headers_are_ignored_by_default(tmp_path):
    assert _seen(fresh_app(tmp_path)) == "127.0.0.1 http"


def test_one_trusted_hop_gives_the_client_address_and_scheme(tmp_path):
    assert _seen(fresh_app(tmp_path, TRUSTED_PROXIES=1)) == "203.0.113.7 https"


def test_a_forged_header_before_the_proxy_is_not_trusted(tmp_path):
    app = fresh_app(tmp_path, TRUSTED_PROXIES=1)

    @app.get("/_addr")
    def addr():
        return request.remote_addr or ""

    # The client forged 10.0.0.1; nginx appended the address it really saw.
    forged = {"X-Forwarded-For": "10.0.0.1, 203.0.113.7"}
    assert app.test_client().get("/_addr", headers=forged).get_data(as_text=True) == "203.0.113.7"
