"""Many small reads in one SQL statement: counts, flags and short lists of rows.

A page that shows a little of everything (the project overview) would otherwise send one
statement per figure and per list. A `Batch` collects them as scalar subqueries of a single
SELECT; a short list of rows travels as a JSON array (SQLite `json_group_array`, PostgreSQL
`json_agg`) and is turned back into the values SQLAlchemy would have returned: time-zone
aware datetimes, dates, exact decimals, enum members, parsed JSON.

    batch = Batch()
    n = batch.scalar(select(func.count()).select_from(Need).where(...))
    soon = batch.rows(upcoming_query(project), Meeting)
    batch.fetch()  # one statement
    n.value, soon.value
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, Text, cast, func, literal_column, select
from sqlalchemy import types as sqltypes
from sqlalchemy.sql.elements import ColumnElement

from cbpar.db import db

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Pending:
    """A value the batch will fetch; `value` once `Batch.fetch()` has run."""

    def __init__(self, decode: Any = None) -> None:
        self._decode = decode or (lambda raw: raw)
        self._value: Any = None
        self.ready = False

    @property
    def value(self) -> Any:
        if not self.ready:
            raise RuntimeError("the batch has not been fetched yet")
        return self._value

    def _set(self, raw: Any) -> None:
        self._value, self.ready = self._decode(raw), True


class Batch:
    """Scalar subqueries and JSON row lists, fetched together by `fetch()`."""

    def __init__(self) -> None:
        self._columns: list[tuple[ColumnElement[Any], Pending]] = []
        self.dialect = db.session.get_bind().dialect.name

    def scalar(self, query: Select[Any] | ColumnElement[Any]) -> Pending:
        """One value: a SELECT of one row and one column (a count, an EXISTS, a sum)."""
        column = query.scalar_subquery() if isinstance(query, Select) else query
        return self._add(column, Pending())

    def exists(self, query: Select[Any]) -> Pending:
        """Whether `query` finds any row."""
        return self._add(query.exists(), Pending(bool))

    def rows(self, query: Select[Any], model: type | None = None) -> Pending:
        """The rows of `query` (keep it short: LIMIT it), as dicts keyed by column name, or as
        unsaved `model` instances made from them (for templates that call model methods)."""
        columns = list(query.selected_columns)
        pairs: list[Any] = []
        for c in columns:
            if not _KEY.match(c.key):
                raise ValueError(f"column name {c.key!r} cannot be a JSON key")
            pairs += [literal_column(f"'{c.key}'"), c]
        # Each row becomes one JSON object in the query itself (its WHERE, ORDER BY and LIMIT
        # kept), then one aggregate gathers them: it reads the subquery's rows in their ORDER
        # BY order (a sorted subquery feeding an aggregate), so the list keeps that order.
        if self.dialect == "postgresql":
            sub = query.with_only_columns(func.json_build_object(*pairs).label("j")).subquery()
            aggregate = func.coalesce(cast(func.json_agg(sub.c.j), Text), "[]")
        else:
            sub = query.with_only_columns(func.json_object(*pairs).label("j")).subquery()
            # json(): a subquery's column is plain text to SQLite, not JSON to embed as it is
            aggregate = func.json_group_array(func.json(sub.c.j))
        types = {c.key: c.type for c in columns}

        def decode(raw: Any) -> list[Any]:
            found = json.loads(raw, parse_float=Decimal) if isinstance(raw, str) else raw or []
            dicts = [{k: _value(types[k], v) for k, v in row.items()} for row in found]
            return [model(**d) for d in dicts] if model is not None else dicts

        return self._add(select(aggregate).scalar_subquery(), Pending(decode))

    def _add(self, column: ColumnElement[Any], pending: Pending) -> Pending:
        self._columns.append((column, pending))
        return pending

    def fetch(self) -> None:
        """Send the one statement (none if nothing was asked)."""
        if not self._columns:
            return
        labelled = [column.label(f"v{i}") for i, (column, _p) in enumerate(self._columns)]
        row = db.session.execute(select(*labelled)).one()
        for raw, (_column, pending) in zip(row, self._columns, strict=True):
            pending._set(raw)


def _value(type_: Any, raw: Any) -> Any:
    """A JSON value back to what the column type gives when read directly."""
    if raw is None:
        return None
    decorator = type_ if isinstance(type_, sqltypes.TypeDecorator) else None
    kind = decorator.impl_instance if decorator is not None else type_
    if isinstance(kind, sqltypes.Enum) and kind.enum_class is not None:
        value: Any = kind.enum_class(raw)
    elif isinstance(kind, sqltypes.DateTime):
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
        if kind.timezone and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    elif isinstance(kind, sqltypes.Date):
        value = date.fromisoformat(raw[:10]) if isinstance(raw, str) else raw
    elif isinstance(kind, sqltypes.Float):
        value = float(raw)
    elif isinstance(kind, sqltypes.Numeric):
        value = Decimal(str(raw)) if kind.asdecimal else float(raw)
        if kind.asdecimal and kind.scale is not None:
            value = value.quantize(Decimal(1).scaleb(-kind.scale))
    elif isinstance(kind, sqltypes.Boolean):
        value = bool(raw)
    elif isinstance(kind, sqltypes.JSON):
        value = json.loads(raw) if isinstance(raw, str) else raw  # SQLite keeps JSON as text
    else:
        value = raw
    if decorator is not None:
        value = decorator.process_result_value(value, db.session.get_bind().dialect)
    return value
