"""Headers, CSRF on every state change, a capability on every route, error pages."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from cbpar import create_app
from cbpar.security import Role
from tests.helpers import PASSWORD, config_for_tests, fresh_app

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _fill(rule: Rule) -> str:
    """A URL for a rule, with 1 for numbers and 'p1' for other parts."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = 1 if isinstance(converter, NumberConverter) else "p1"
    return rule.build(values, append_unknown=False)[1]


def test_every_route_declares_who_may_use_it(app):
    """Each view is public, needs log-in, an admin, or a named capability: none is forgotten."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "required_capability", None):
            missing.append(rule.rule)
    assert missing == []


def test_every_state_changing_route_rejects_a_request_without_csrf_token(tmp_path):
    """Walk the URL map: a logged-in POST/PUT/PATCH/DELETE without a token is refused (400)."""
    # An app of its own: this test commits for real, outside the per-test transaction.
    csrf_app = fresh_app(tmp_path, WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        from cbpar.auth.models import User
        from cbpar.auth.services import set_password
        from cbpar.db import db
        from cbpar.projects.models import Membership, Project

        user = User(username="csrf-admin", is_admin=True)
        set_password(user, PASSWORD)
        project = Project(slug="p1", name="P1")
        membership = Membership(project=project, user=user, role=Role.COORDINATOR)
        db.session.add_all([user, project, membership])
        db.session.commit()

    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/login", data={"username": "csrf-admin", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )

    checked, exempt = [], []
    for rule in csrf_app.url_map.iter_rules():
        if getattr(csrf_app.view_functions[rule.endpoint], "csrf_exempt", False):
            exempt.append(rule.rule)
            continue
        for method in sorted((rule.methods or set()) & UNSAFE):
            url = _fill(rule)
            response = client.open(url, method=method, data={"x": "1"})
            assert response.status_code == 400, (
                f"{method} {rule.rule} answered {response.status_code}"
            )
            assert "The form expired" in response.get_data(as_text=True) or response.is_json
            checked.append(f"{method} {rule.rule}")
    assert "POST /logout" in checked and "POST /projects/<slug>/members" in checked
    # The exceptions, posted by programs without a session: RFC 8058 one-click unsubscribe
    # (mail programs) and OpenRosa (ODK Collect, which checks its own way).
    assert "/notifications/unsubscribe/<token>" in exempt
    assert all(r == "/notifications/unsubscribe/<token>" or "/openrosa/" in r for r in exempt)
    # Still logged in: the refused logout changed nothing.
    assert client.get("/profile").status_code == 200


def test_html_responses_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_https_setting_makes_cookies_secure_and_sends_hsts(tmp_path):
    app = create_app(config_for_tests(tmp_path, HTTPS=True))
    response = app.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_pages_with_personal_data_are_not_cached(client, team, login):
    login(team["users"][Role.COORDINATOR])
    for url in ("/profile", "/projects/p1/members"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_error_pages_are_friendly_and_show_no_traceback(tmp_path):
    app = create_app(config_for_tests(tmp_path, PROPAGATE_EXCEPTIONS=False))

    @app.route("/boom")
    def boom():
        raise RuntimeError("internal detail that must not leak")

    boom.required_capability = "public"
    client = app.test_client()
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body and "internal detail" not in body
    assert "Traceback" not in body
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Not found" in missing.get_data(as_text=True)


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app(
        config_for_tests(tmp_path, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"].startswith("unreachable")


@pytest.mark.parametrize("path", ["/", "/profile", "/projects/p1/", "/admin/users"])
def test_pages_need_a_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_api_without_credentials_answers_401_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.is_json


def test_no_template_uses_inline_event_handlers_or_javascript_urls():
    """The CSP blocks inline handlers; one left in a template would silently do nothing."""
    import pathlib

    from cbpar.config import ROOT

    offenders = []
    pattern = re.compile(r"<[^>]*\son[a-z]+\s*=|javascript:", re.IGNORECASE)
    for path in pathlib.Path(ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
