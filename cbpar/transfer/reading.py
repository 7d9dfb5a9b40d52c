"""Read field-tool files (CSV, XLSX, GeoJSON) into a header and rows with their line numbers.

CSV: comma or semicolon (sniffed), UTF-8 with or without BOM, else GB18030 (what Chinese
Excel writes). XLSX: the first sheet, streamed (read-only mode). GeoJSON: one row per
feature, its properties plus `latitude`/`longitude` from a Point geometry.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

FORMATS = ("csv", "xlsx", "geojson")
LAT_COLUMN, LON_COLUMN = "latitude", "longitude"


class ReadError(Exception):
    """The file cannot be read as the format it claims (message is shown to the user)."""


@dataclass
class Table:
    """A file's columns and its rows as text, each with the line (or row) it came from."""

    columns: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    format: str
    encoding: str = ""
    delimiter: str = ""


def guess_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in {"json", "geojson"}:
        return "geojson"
    if suffix in {"xlsx", "xlsm"}:
        return "xlsx"
    return "csv"


def read(data: bytes, filename: str = "", fmt: str | None = None) -> Table:
    fmt = fmt or guess_format(filename)
    if fmt == "xlsx":
        return read_xlsx(data)
    if fmt == "geojson":
        return read_geojson(data)
    return read_csv(data)


def read_path(path: str | Path, fmt: str | None = None) -> Table:
    path = Path(path)
    return read(path.read_bytes(), path.name, fmt)


# --- CSV -------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-8 (BOM or not), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ReadError("The file is neither UTF-8 nor GB18030 text.") from exc


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        return ";" if first.count(";") > first.count(",") else ","


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise ReadError("The file is empty.")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        columns = [c.strip() for c in next(reader)]
        rows = []
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ReadError(f"Not a readable CSV file: {exc}") from exc
    return Table(columns, rows, "csv", encoding, delimiter)


# --- XLSX ------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged file
        raise ReadError("Not a readable Excel (.xlsx) file.") from exc
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header = next(rows_iter, None)
        if header is None:
            raise ReadError("The file is empty.")
        columns = [_cell_text(c).strip() for c in header]
        while columns and not columns[-1]:
            columns.pop()
        rows = []
        for number, values in enumerate(rows_iter, start=2):
            cells = [_cell_text(v) for v in values[: len(columns)]]
            if any(c.strip() for c in cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    return Table(columns, rows, "xlsx")


# --- GeoJSON ---------------------------------------------------------------------------------


def read_geojson(data: bytes) -> Table:
    try:
        document = json.loads(decode(data)[0])
    except ValueError as exc:
        raise ReadError("Not a readable GeoJSON file.") from exc
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise ReadError("A GeoJSON FeatureCollection is expected.")
    records: list[dict[str, str]] = []
    columns: dict[str, None] = {}
    for feature in features:
        props = (feature or {}).get("properties") or {}
        record = {str(k): _cell_text(v) for k, v in props.items() if not isinstance(v, dict)}
        if "id" in (feature or {}) and "id" not in record:
            record["id"] = _cell_text(feature["id"])
        geometry = (feature or {}).get("geometry") or {}
        coords = geometry.get("coordinates")
        if geometry.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2:
            record[LON_COLUMN], record[LAT_COLUMN] = _cell_text(coords[0]), _cell_text(coords[1])
        for key in record:
            columns.setdefault(key, None)
        records.append(record)
    names = list(columns)
    rows = [(i, [r.get(c, "") for c in names]) for i, r in enumerate(records, start=1)]
    return Table(names, rows, "geojson")


def iter_dicts(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
    for line, cells in table.rows:
        yield line, dict(zip(table.columns, cells, strict=False))
