"""Small helpers shared by views: form errors that save nothing, no-store responses."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response


def no_store(body: ResponseReturnValue, status: int = 200) -> Response:
    """A page with personal data: browsers and proxies must not keep a copy."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid(template: str, **context: Any) -> Response:
    """Show a form again with its errors: 422, so the request's transaction is rolled back."""
    return no_store(render_template(template, **context), 422)


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


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def paginate(statement: Any, page: int, per_page: int) -> Page:
    """Run `statement` for one page, plus one COUNT for the total."""
    from sqlalchemy import func, select

    from cbpar.db import db

    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, per_page, total or 0)
