"""The OpenAPI document: valid, complete, served; the readable page; the suite's answer check."""

from __future__ import annotations

import re

import pytest
from flask import Response
from openapi_spec_validator import validate

from cbpar.api.openapi import spec
from tests.api import schema_check
from tests.helpers import as_user

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_the_document_is_valid_openapi_3_1(app, client):
    document = spec()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {"bearer", "session"} <= set(document["components"]["securitySchemes"])
    served = client.get("/api/v1/openapi.json")  # public: no log-in
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert served.get_json() == document


def test_every_api_route_is_documented_and_nothing_else(app):
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            assert path.startswith("/api/v1/"), path
            routes.setdefault(path[len("/api/v1") :], set()).update(rule.methods & METHODS)
    documented = {
        path: {m.upper() for m in item if m.upper() in METHODS}
        for path, item in spec()["paths"].items()
    }
    assert set(routes) - set(documented) == set(), "routes missing from the OpenAPI document"
    assert set(documented) - set(routes) == set(), "documented paths with no route"
    for path, methods in routes.items():
        assert methods == documented[path], path


def test_every_operation_has_a_tag_and_the_error_shape(app):
    document = spec()
    tags = {t["name"] for t in document["tags"]}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation["tags"][0] in tags, (path, method)
            if operation.get("security") != []:
                error = operation["responses"]["401"]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/Error"}, (path, method)


def _answer(body: str, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(body, status=status, mimetype=mimetype)


def test_the_check_fails_an_answer_that_does_not_match_its_schema(app):
    good = '{"username": "a", "display_name": "", "is_admin": false, "locale": null, '
    good += '"projects": []}'
    schema_check.check("GET", "/api/v1/me", _answer(good))
    with pytest.raises(AssertionError) as wrong_type:
        schema_check.check("GET", "/api/v1/me", _answer(good.replace("false", '"no"')))
    message = str(wrong_type.value)
    assert "GET /api/v1/me -> 200" in message and "is_admin" in message
    assert len(message) < 400  # short: never the whole body
    with pytest.raises(AssertionError, match="status not documented"):
        schema_check.check("GET", "/api/v1/me", _answer('{"error": "x", "message": "y"}', 418))
    with pytest.raises(AssertionError, match="Error|required"):
        schema_check.check("GET", "/api/v1/households/1", _answer('{"oops": 1}', 404))
    with pytest.raises(AssertionError, match="not in the OpenAPI document"):
        schema_check.check("GET", "/api/v1/nowhere", _answer("{}", 200))
    schema_check.check("GET", "/api/v1/me", _answer("", 500))  # a crash fails on its own


def test_the_suites_clients_check_api_answers(app, client, team):
    assert isinstance(client, schema_check.CheckedClient)
    assert isinstance(as_user(app, "observer"), schema_check.CheckedClient)
    answer = client.get("/api/v1/projects/p1/meetings")
    assert answer.status_code == 401  # checked: the Error shape


def test_the_readable_page_works_offline_under_the_csp(app, client, team):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "POST /api/v1/projects/{slug}/meetings" in html
    assert "PUT /api/v1/meetings/{meeting_id}/minutes" in html
    assert 'id="schema-Conflict"' in html and "client_id" in html
    external = re.findall(r'(?:src|href)="(https?:)?//(?!localhost)[^"]*"', html)
    assert external == [], "the page loads something from outside"
    for tag in re.findall(r"<script[^>]*>", html):
        assert "nonce=" in tag or "src=" in tag, "an inline script without the CSP nonce"
    assert "style=" not in html
    assert "script-src 'self' 'nonce-" in page.headers["Content-Security-Policy"]


def test_the_profile_page_links_to_the_api_page(app, client, team):
    page = as_user(app, "researcher").get("/profile")
    assert page.status_code == 200
    assert 'href="/api/v1/docs"' in page.get_data(as_text=True)
