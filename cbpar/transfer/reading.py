"""Read field-tool files (CSV, XLSX, GeoJSON) into a header and rows with their line numbers.

CSV: comma or semicolon (sniffed), UTF-8 with or without BOM, else GB18030 (what Chinese
Excel writes). XLSX: the first sheet, streamed (read-only mode), after the zip passed the
same size and ratio checks as a project archive (safezip). GeoJSON: one row per feature, its
properties plus `latitude`/`longitude` from a Point geometry. A file in Web Mercator
(EPSG:3857, as some GIS tools save) is converted to WGS 84; any other projected CRS, or
coordinates that cannot be degrees, is refused as "projected coordinates".
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import has_app_context
from flask_babel import gettext
from openpyxl import load_workbook

from cbpar.transfer import safezip

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
        start = reader.line_num + 1  # a record is reported at its first line
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
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


def check_xlsx(data: bytes) -> None:
    """An XLSX is a zip: refuse a decompression bomb before openpyxl opens it."""

    try:
        safezip.check_all(data, safezip.configured(entry_is_total=True))
    except safezip.NotAZip as exc:
        raise ReadError("Not a readable Excel (.xlsx) file.") from exc
    except safezip.ZipLimitError as exc:
        raise ReadError(
            gettext(
                "This Excel file was refused: it is too large once unpacked, or damaged "
                "(%(reason)s).",
                reason=str(exc),
            )
        ) from exc


def read_xlsx(data: bytes) -> Table:
    check_xlsx(data)
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


# Geographic CRSs (degrees): WGS 84 and CGCS2000 (China's, within a metre of WGS 84).
_DEGREES = {"4326", "4490", "crs84", "4979", "4258"}
_WEB_MERCATOR = {"3857", "900913", "102100", "102113", "3785"}
_CRS_CODE = re.compile(r"(?:epsg|esri)?\D*?(\d{4,6})\s*$|(crs84)\s*$", re.I)
_EARTH_RADIUS = 6378137.0


def _crs_code(document: dict[str, Any]) -> str | None:
    """The EPSG code (or 'crs84') named by a GeoJSON 2008 `crs` member, None if there is none."""
    crs = document.get("crs")
    if not isinstance(crs, dict):
        return None
    name = str((crs.get("properties") or {}).get("name") or "")
    match = _CRS_CODE.search(name.replace("::", ":"))
    if not match:
        return name or None
    return (match.group(1) or match.group(2)).lower()


def _from_web_mercator(x: float, y: float) -> tuple[float, float]:
    lon = math.degrees(x / _EARTH_RADIUS)
    lat = math.degrees(2 * math.atan(math.exp(y / _EARTH_RADIUS)) - math.pi / 2)
    return lon, lat


def _projected_error(what: str) -> ReadError:
    message = (
        "This file has projected coordinates (%(crs)s), not latitude and longitude. "
        "Save it again in WGS 84 (EPSG:4326), or in EPSG:3857, which is converted."
    )
    return ReadError(gettext(message, crs=what) if has_app_context() else message % {"crs": what})


def read_geojson(data: bytes) -> Table:
    try:
        document = json.loads(decode(data)[0])
    except ValueError as exc:
        raise ReadError("Not a readable GeoJSON file.") from exc
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document], "crs": document.get("crs")}
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise ReadError("A GeoJSON FeatureCollection is expected.")
    crs = _crs_code(document)
    mercator = crs in _WEB_MERCATOR
    if crs is not None and not mercator and crs not in _DEGREES:
        raise _projected_error(f"EPSG:{crs}" if crs.isdigit() else crs)
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
            x, y = coords[0], coords[1]
            if isinstance(x, int | float) and isinstance(y, int | float):
                if mercator:
                    x, y = _from_web_mercator(x, y)
                elif abs(x) > 180 or abs(y) > 90:
                    # No CRS named, but these are metres, not degrees: say so once for the
                    # file rather than "latitude out of range" on every row.
                    raise _projected_error(f"{x:g}, {y:g}")
            record[LON_COLUMN], record[LAT_COLUMN] = _cell_text(x), _cell_text(y)
        for key in record:
            columns.setdefault(key, None)
        records.append(record)
    names = list(columns)
    rows = [(i, [r.get(c, "") for c in names]) for i, r in enumerate(records, start=1)]
    return Table(names, rows, "geojson")
