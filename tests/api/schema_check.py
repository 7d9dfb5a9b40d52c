"""Every API answer the test suite sees is checked against the OpenAPI document.

`CheckedClient` is the test client of every app in the suite (tests/conftest.py sets it on
Flask). For each answer to a request under /api/v1/ it finds the documented path, method and
status (an undocumented status fails, except 500, which is a failure of its own), and
validates a JSON body against the documented schema (JSON Schema 2020-12, the dialect of
OpenAPI 3.1). A mismatch raises AssertionError with a short message: the request, the status
and the first schema error, never the whole body.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

PREFIX = "/api/v1"
JSON_TYPES = ("application/json", "application/geo+json")


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    from cbpar.api.openapi import spec

    return spec()


@lru_cache(maxsize=1)
def _routes() -> list[tuple[re.Pattern[str], str]]:
    routes = []
    for path in _document()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        routes.append((re.compile(pattern + "$"), path))
    return routes


@lru_cache(maxsize=256)
def _validator(path: str, method: str, status: str, media: str) -> Draft202012Validator | None:
    document = _document()
    answer = document["paths"][path][method]["responses"][status]
    content = answer.get("content", {}).get(media)
    if content is None:
        return None
    schema = {**content["schema"], "components": document["components"]}
    return Draft202012Validator(schema)


def _path_of(url_path: str) -> str | None:
    rest = url_path[len(PREFIX) :]
    for pattern, path in _routes():
        if pattern.match(rest):
            return path
    return None


def _outside_the_api(app: Any, method: str, url_path: str) -> bool:
    """A route a test added to its own app (not the api blueprint's): not ours to check."""
    try:
        endpoint, _args = app.url_map.bind("localhost").match(url_path, method)
    except Exception:  # no such route or method: the API's own 404/405 is checked
        return False
    return not str(endpoint).startswith("api.")


def check(method: str, url_path: str, response: Any, app: Any = None) -> None:
    """Raise AssertionError if the answer does not match the document."""
    if not url_path.startswith(PREFIX + "/") or method in ("HEAD", "OPTIONS"):
        return
    if app is not None and _outside_the_api(app, method, url_path):
        return
    status = response.status_code
    if status == 500:
        return
    where = f"{method} {url_path} -> {status}"
    path = _path_of(url_path)
    operation = _document()["paths"][path].get(method.lower()) if path else None
    if operation is None:
        # An address or method the API does not have: only its JSON 404 or 405 is right.
        assert status in (404, 405), f"{where}: not in the OpenAPI document"
        _check_body(where, response, Draft202012Validator(_error_schema()))
        return
    documented = operation["responses"]
    assert str(status) in documented, f"{where}: status not documented in the OpenAPI document"
    media = response.mimetype
    if media not in JSON_TYPES:
        content = documented[str(status)].get("content")
        if content and status != 304:
            assert media in content, f"{where}: {media} not documented"
        return
    validator = _validator(path, method.lower(), str(status), media)
    assert validator is not None, f"{where}: no {media} body documented"
    _check_body(where, response, validator)


def _error_schema() -> dict[str, Any]:
    document = _document()
    return {"$ref": "#/components/schemas/Error", "components": document["components"]}


def _check_body(where: str, response: Any, validator: Draft202012Validator) -> None:
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    if not data:
        return
    try:
        body = json.loads(data)
    except ValueError:
        raise AssertionError(f"{where}: the body is not JSON") from None
    error = next(iter(sorted(validator.iter_errors(body), key=lambda e: e.path)), None)
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "(body)"
        raise AssertionError(f"{where}: does not match the OpenAPI schema at {at}: "
                             f"{error.message[:200]}")  # fmt: skip


class CheckedClient(FlaskClient):
    """A test client that checks each API answer against the OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        request = getattr(response, "request", None)
        if request is not None:
            check(request.method, request.path, response, self.application)
        return response
