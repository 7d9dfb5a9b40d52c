"""Small helpers shared by views: form errors that save nothing, no-store responses, pages,
and the one rule for integers in paths and query strings."""

from __future__ import annotations

import re
from typing import Any

from flask import make_response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response

from cbpar.db import db


def no_store(body: ResponseReturnValue, status: int = 200, /) -> Response:
    """A page with personal data: browsers and proxies must not keep a copy."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid(template: str, **context: Any) -> Response:
    """Show a form again with its errors: 422, so the request's transaction is rolled back."""
    return no_store(render_template(template, **context), 422)


def form_page(template: str, /, **context: Any) -> Response:
    """A form's page: after a submit that did not validate, again with its errors and 422 (so
    the request's transaction is rolled back, nothing saved); on a GET, 200."""
    status = 422 if request.method in {"POST", "PUT", "PATCH", "DELETE"} else 200
    return no_store(render_template(template, **context), status)


class Page:
    """One page of a query's results, with what a pager needs."""

    def __init__(self, items: list[Any], page: int, per_page: int, total: int) -> None:
        self.items, self.page, self.per_page, self.total = items, page, per_page, total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# The largest integer any database column here holds (SQLite's INTEGER, PostgreSQL's BIGINT).
# A larger number in a path or query string names no record; it must never reach the database,
# where it raises OverflowError (a 500).
MAX_INT = 2**63 - 1
MAX_PAGE = 2**31 - 1  # so that page * per-page stays a valid OFFSET
_DIGITS = re.compile(r"-?[0-9]{1,19}")


class IntConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond MAX_INT matches no route, so 404."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,  # Werkzeug's own argument names
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        low = -MAX_INT - 1 if signed else None
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=low if min is None else min,
            max=MAX_INT if max is None else max,
            signed=signed,
        )


def parse_int(
    raw: str | None, default: Any = None, *, minimum: int = 1, maximum: int = MAX_INT
) -> Any:
    """The one rule for integers in query strings: ASCII digits between `minimum` and
    `maximum`, else (missing, not a number, out of range) the `default`, as if not given."""
    text = (raw or "").strip()
    if not _DIGITS.fullmatch(text):
        return default
    value = int(text)
    return value if minimum <= value <= maximum else default


def int_arg(name: str, default: Any = None, *, minimum: int = 1, maximum: int = MAX_INT) -> Any:
    """An integer from the query string (see parse_int)."""
    return parse_int(request.args.get(name), default, minimum=minimum, maximum=maximum)


def page_number(raw: str | None) -> int:
    return parse_int(raw, 1, maximum=MAX_PAGE)


def paginate(statement: Any, page: int, per_page: int) -> Page:
    """Run `statement` for one page, plus one COUNT for the total."""

    page = min(max(1, page), MAX_PAGE)  # whoever parsed it, the OFFSET stays a valid integer

    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, per_page, total or 0)
