"""Shared pieces of the API's create and update endpoints: one set of rules with the pages.

A JSON body is checked by the very form class the page uses (its validators and messages),
fed a MultiDict built from the JSON values, with CSRF off (the API's CSRF check is the app's
hook: bearer-only requests need none, cookie sessions send the token). Problems are raised as
`Problem` and answered by the blueprint's error handler, so views stay short:

- ``json_body()``: the request's JSON object, or a 400.
- ``check_fields(body, allowed, read_only=())``: a 400 naming the first unknown field.
- ``validated(form_class, values, **kwargs)``: the bound, validated form, or a 400 with
  ``{"error": "bad_request", "parameter": first field, "message": "field: message",
  "errors": {field: [messages]}}`` (the memo endpoints' shape, with every error listed).
- ``bind(form_class, values, **kwargs)`` and ``add_errors(form, {field: message}, valid)``:
  for rules beyond the form (consent), reported in the same answer as the form's errors.
- ``created_once(project, kind, body, make)``: a create-once POST (``client_id``).
- ``version_of(body)``: the integer `version` a PUT is based on, or a 400.
- ``conflict(message, current, yours_version)``: a 409 with the stored record and versions.
- ``answer(obj, status=200, location=None)``: a no-store JSON answer.
- ``page_of(query, to_json, key)``: one page of a list (``?page=``, ``?per_page=`` up to 500).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, abort, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from cbpar.api import bp, idempotency
from cbpar.db import db
from cbpar.editing import EditConflict
from cbpar.projects.models import Project
from cbpar.projects.services import load_for_member
from cbpar.web import paginate

PER_PAGE = 100
MAX_PER_PAGE = 500


class Problem(Exception):
    """An API answer with an error status; raised anywhere in a view, answered as JSON."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@bp.errorhandler(Problem)
def _problem(exc: Problem) -> Response:
    return exc.response


@bp.errorhandler(idempotency.ClientIdError)
def _client_id_problem(exc: idempotency.ClientIdError) -> Response:
    return idempotency.error_response(exc)


def answer(obj: Any, status: int = 200, location: str | None = None) -> Response:
    response = jsonify(obj)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if location:
        response.headers["Location"] = location
    return response


def bad_request(parameter: str | None, message: str, **extra: Any) -> Problem:
    body: dict[str, Any] = {"error": "bad_request"}
    if parameter:
        body["parameter"] = parameter
    body["message"] = message
    body.update(extra)
    return Problem(answer(body, 400))


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request("body", _("Send a JSON object."))
    return body


def check_fields(body: dict[str, Any], allowed: Iterable[str], read_only: Iterable[str] = ()):
    """Refuse fields the endpoint does not know (a typo would otherwise be lost silently)."""
    known = {*allowed, *read_only, "client_id", "version"}
    for name in body:
        if name not in known:
            raise bad_request(name, _("%(field)s: not a field of this record.", field=name))


def _form_value(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["y"] if value else []
    if isinstance(value, float) and not math.isfinite(value):
        raise bad_request(name, _("%(field)s: a finite number.", field=name))
    if isinstance(value, int | float):
        return [repr(value)]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(
        isinstance(v, int | str) and not isinstance(v, bool) for v in value
    ):
        return [str(v) for v in value]
    raise bad_request(name, _("%(field)s: not a value this field takes.", field=name))


def form_data(values: dict[str, Any]) -> MultiDict:
    """JSON values as a browser would post them: numbers as text, true as "y", false absent."""
    data: MultiDict = MultiDict()
    for name, value in values.items():
        for item in _form_value(name, value):
            data.add(name, item)
    return data


def errors_problem(errors: dict[str, list[Any]]) -> Problem:
    shown = {
        name or "body": [str(m) for m in messages] for name, messages in errors.items() if messages
    }
    first = next(iter(shown))
    return bad_request(first, f"{first}: {shown[first][0]}", errors=shown)


def bind(form_class: type, values: dict[str, Any], **kwargs: Any) -> Any:
    """The page's form bound to `values` (not yet validated), CSRF off."""
    return form_class(formdata=form_data(values), meta={"csrf": False}, **kwargs)


def validated(form_class: type, values: dict[str, Any], **kwargs: Any) -> Any:
    """The page's form bound to `values` and validated; a 400 listing its errors otherwise."""
    form = bind(form_class, values, **kwargs)
    if not form.validate():
        raise errors_problem(form.errors)
    return form


def add_errors(form: Any, problems: dict[str, Any], valid: bool = True) -> None:
    """Further rules beyond the form's validators (consent): one 400 with every error, if
    the form was not `valid` or any rule applies."""
    if valid and not problems:
        return
    errors = {name: list(field.errors) for name, field in form._fields.items()}
    for name, message in problems.items():
        errors.setdefault(name, []).append(message)
    raise errors_problem(errors)


def created_once(
    project: Any, kind: str, body: dict[str, Any], make: Callable[[], Callable[[], Any]]
) -> tuple[int, bool]:
    """A POST that creates a record once per `client_id`: (the record's id, created now?).

    `make()` checks the body (raising a 400) and returns the function that creates the record;
    neither runs when this client id already made one (the stored record is the answer)."""
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, kind, client_id)
    if found is not None:
        return found, False
    return idempotency.create_once(project, kind, client_id, make())


def version_of(body: dict[str, Any]) -> int:
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad_request("version", _("version: the integer version this edit is based on."))
    return version


def conflict(message: str, current: dict[str, Any] | None, yours_version: int) -> Response:
    """409: someone saved since `yours_version`; nothing of this request was saved."""
    body: dict[str, Any] = {
        "error": "conflict",
        "message": message,
        "your_version": yours_version,
        "current_version": current.get("version") if current else None,
        "current": current,
    }
    return answer(body, 409)


def save_or_conflict(
    save: Callable[[], Any],
    reload: Callable[[], Any],
    to_json: Callable[[Any], dict[str, Any]],
    version: int,
    changed: str,
    deleted: str | None = None,
) -> Response | None:
    """Run `save`; on a stale version roll back and answer 409 with the record as stored now
    (`deleted` is the message when it is gone). None when the save went through."""
    try:
        save()
    except EditConflict:
        db.session.rollback()
        current = reload()
        message = deleted if current is None and deleted else changed
        return conflict(message, to_json(current) if current is not None else None, version)
    return None


def page_of(query: Any, to_json: Callable[[Any], dict[str, Any]], key: str) -> Response:
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(max(1, int(request.args.get("per_page", PER_PAGE))), MAX_PER_PAGE)
    except ValueError:
        raise bad_request("page", _("page and per_page: whole numbers from 1.")) from None
    result = paginate(query, page, per_page)
    items = [to_json(item) for item in result.items]
    return answer(
        {
            key: items,
            "count": len(items),
            "page": result.page,
            "per_page": result.per_page,
            "pages": result.pages,
            "total": result.total,
        }
    )


def member_project(project_id: int) -> Any:
    """The record's project if the caller is a member (g.project, g.membership set); else 404."""

    stored = db.session.get(Project, project_id) or abort(404)
    project, membership = load_for_member(stored.slug, current_user)
    if project is None:
        abort(404)
    g.project, g.membership = project, membership
    return project
