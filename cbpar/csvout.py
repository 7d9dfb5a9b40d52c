"""The one way the product writes CSV: every text cell escaped against formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
also after a leading tab or carriage return, so a need titled ``=HYPERLINK(...)`` would become
a live link in whoever opens the export. As OWASP recommends, such a text cell gets a leading
single quote (``'=HYPERLINK(...)``): shown as text, never evaluated. The full-width forms
Chinese input methods type (``＝ ＋ － ＠``) are escaped too. Numbers written as numbers
(ints, floats, decimals) stay as they are, so ``-3`` and ``-12.5`` remain numbers.

Every CSV the product writes goes through `to_csv` (or `writer` for files built row by row)
and is served by `response`; nothing else imports the `csv` module to write.

Every CSV document starts with a UTF-8 byte order mark (BOM). Excel, on Chinese Windows
above all, reads a CSV without one in the system's code page (GBK) and shows Chinese as
mojibake; with it, Excel reads UTF-8. The mark is part of the document, not of the download,
so a CSV inside a zip (memos, the tables export) opens the same once unzipped. Our own import
reads UTF-8 with or without it; Python readers use ``encoding="utf-8-sig"``, and GDAL, R's
readr and pandas skip it.

A table can also be written as an Excel workbook (`to_xlsx`, served by `xlsx_response`): there
every text cell is stored as text, so it is never a formula, and needs no leading quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
LINE_END = "\r\n"  # RFC 4180
BOM = "\ufeff"  # U+FEFF, written as EF BB BF in UTF-8: "this is UTF-8" for Excel


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
        """The document, starting with the byte order mark."""
        return BOM + self._out.getvalue()


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


def response(body: str | bytes, filename: str) -> Response:
    """A CSV download: UTF-8 with its byte order mark, an attachment, never cached (exports
    hold project data)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if not body.startswith(BOM):
        body = BOM + body
    result = Response(body, mimetype="text/csv")
    result.charset = "utf-8"
    result.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    result.headers["Cache-Control"] = "no-store"
    return result


# --- the same table as an Excel workbook --------------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def to_xlsx(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str,
    float_decimals: int | None = None,
) -> bytes:
    """One sheet: the header, then the rows. Numbers and dates stay numbers and dates; text is
    stored as text (never a formula, whatever it starts with); a time with its zone is written
    as ISO 8601 text, since Excel has no time zones."""
    book = Workbook(write_only=True)
    table = book.create_sheet(title=sheet[:31])

    def value(item: Any) -> Any:
        if item is None or isinstance(item, bool | int | Decimal):
            return item
        if isinstance(item, float):
            return round(item, float_decimals) if float_decimals is not None else item
        if isinstance(item, datetime):
            return item.isoformat()
        if isinstance(item, date):
            return item
        text = WriteOnlyCell(table, value=ILLEGAL_CHARACTERS_RE.sub("", str(item)))
        text.data_type = "s"  # not "f", which openpyxl infers for a leading "="
        return text

    table.append([value(name) for name in header])
    for row in rows:
        table.append([value(item) for item in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(body: bytes, filename: str) -> Response:
    """An Excel download: an attachment, never cached (exports hold project data)."""
    result = Response(body, mimetype=XLSX_MIMETYPE)
    result.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    result.headers["Cache-Control"] = "no-store"
    return result
