"""The one way the product writes CSV: every text cell escaped against formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
also after a leading tab or carriage return, so a need titled ``=HYPERLINK(...)`` would become
a live link in whoever opens the export. As OWASP recommends, such a text cell gets a leading
single quote (``'=HYPERLINK(...)``): shown as text, never evaluated. The full-width forms
Chinese input methods type (``＝ ＋ － ＠``) are escaped too. Numbers written as numbers
(ints, floats, decimals) stay as they are, so ``-3`` and ``-12.5`` remain numbers.

Every CSV the product writes goes through `to_csv` (or `writer` for files built row by row)
and is served by `response`; nothing else imports the `csv` module to write.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
LINE_END = "\r\n"  # RFC 4180


def cell(value: Any, *, float_decimals: int | None = None) -> str:
    """One cell as text a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and float_decimals is not None:
        return f"{value:.{float_decimals}f}"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class Writer:
    """Rows written one by one (a file with several sections), every cell escaped."""

    def __init__(self, *, float_decimals: int | None = None) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator=LINE_END)
        self._decimals = float_decimals

    def row(self, values: Iterable[Any] = ()) -> None:
        self._writer.writerow([cell(v, float_decimals=self._decimals) for v in values])

    def getvalue(self) -> str:
        return self._out.getvalue()


def writer(*, float_decimals: int | None = None) -> Writer:
    return Writer(float_decimals=float_decimals)


def to_csv(
    header: Sequence[Any] | None,
    rows: Iterable[Sequence[Any]],
    *,
    float_decimals: int | None = None,
) -> str:
    """A whole CSV document: the header (if any), then the rows."""
    out = Writer(float_decimals=float_decimals)
    if header is not None:
        out.row(header)
    for row in rows:
        out.row(row)
    return out.getvalue()


def response(body: str, filename: str) -> Response:
    """A CSV download: UTF-8, an attachment, never cached (exports hold project data)."""
    result = Response(body, mimetype="text/csv")
    result.charset = "utf-8"
    result.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    result.headers["Cache-Control"] = "no-store"
    return result
