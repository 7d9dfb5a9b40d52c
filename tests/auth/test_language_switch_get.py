"""The language switch never sends anyone to an address that only answers POST."""

from __future__ import annotations

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

SAMPLE = {"int": "1", "default": "x", "string": "x", "path": "x"}


def _sample_path(rule) -> str:
    path = rule.rule
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.lower().replace("converter", "")
        value = SAMPLE.get(kind, "1" if "int" in kind else "x")
        path = _replace_arg(path, name, value)
    return path


def _replace_arg(path: str, name: str, value: str) -> str:
    import re

    return re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + r">", value, path)


def test_switch_from_every_post_only_address_lands_on_a_get_address(app, client):
    adapter = app.url_map.bind("localhost")
    post_only = [r for r in app.url_map.iter_rules() if r.methods and "GET" not in r.methods]
    assert post_only
    for rule in post_only:
        path = _sample_path(rule)
        response = client.post("/language", data={"locale": "en", "next": path})
        assert response.status_code == 302, rule.rule
        target = response.headers["Location"]
        assert target.startswith("/"), rule.rule
        try:
            adapter.match(target.split("?")[0], method="GET")
        except RequestRedirect:
            pass
        except (MethodNotAllowed, NotFound):
            raise AssertionError(f"{rule.rule} -> {target}") from None


def test_a_get_address_is_kept_with_its_query(client):
    response = client.post("/language", data={"locale": "en", "next": "/login?next=/x"})
    assert response.headers["Location"] == "/login?next=/x"
