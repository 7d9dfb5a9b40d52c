"""The repository's XLSForms filled with a project's villages and children, and their XForms.

The workbook in cbpar/openrosa/forms/ is the form: its `village` and `child` choice lists are
replaced by the project's (village codes; the codes of children with consent), its version
gains a digest of those choices (so ODK Collect sees a new version when a village is added),
and pyxform turns it into the XForm. Conversions are kept per process by what they were made
from (form, version, choices), so a cached XForm is never stale.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

from openpyxl import load_workbook
from pyxform.xls2xform import convert

from cbpar.openrosa.definitions import FORMS, LANGUAGES

FOLDER = Path(__file__).parent / "forms"
PROJECT_LISTS = ("village", "child")
CACHE_SIZE = 64


@dataclass(frozen=True)
class XForm:
    form_id: str
    version: str
    title: str
    xml: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.xml.encode()).hexdigest()  # OpenRosa's form hash is MD5


_cache: OrderedDict[tuple[str, str, str], XForm] = OrderedDict()
_lock = Lock()


def workbook_path(form_id: str) -> Path:
    return FOLDER / FORMS[form_id].filename


def read_sheets(form_id: str) -> dict[str, list[list[Any]]]:
    """The repository workbook's cells per sheet (header first), empty cells as ""."""
    book = load_workbook(workbook_path(form_id), read_only=True)
    try:
        return {
            sheet.title: [
                ["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)
            ]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def _choice_rows(lists: dict[str, list[tuple[str, str]]], width: int) -> list[list[Any]]:
    rows = []
    for list_name, choices in lists.items():
        for name, label in choices:
            # One label for both languages: a village's or child's name is not translated.
            rows.append([list_name, name, *([label] * len(LANGUAGES)), *[""] * (width - 4)])
    return rows


def filled_sheets(
    form_id: str, lists: dict[str, list[tuple[str, str]]]
) -> tuple[dict[str, list[list[Any]]], str]:
    """The workbook's sheets with `lists` (name -> [(choice name, label)]) in place of its
    example rows for those lists, and the version they make."""
    sheets = read_sheets(form_id)
    header, *rows = sheets["choices"]
    used = {r[1].split()[-1] for r in sheets["survey"][1:] if str(r[0]).startswith("select_")}
    lists = {name: choices for name, choices in lists.items() if name in used}
    kept = [row for row in rows if row[0] not in lists]
    sheets["choices"] = [header, *kept, *_choice_rows(lists, len(header))]
    settings_header, settings = sheets["settings"][0], list(sheets["settings"][1])
    column = settings_header.index("version")
    digest = hashlib.sha256(json.dumps(lists, sort_keys=True).encode()).hexdigest()[:8]
    version = f"{settings[column]}-{digest}" if lists else str(settings[column])
    settings[column] = version
    sheets["settings"] = [settings_header, settings]
    return sheets, version


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    # import here: build_forms is the generator script, which imports this package's definitions
    from cbpar.openrosa.build_forms import workbook

    buffer = io.BytesIO()
    workbook(sheets).save(buffer)
    return buffer.getvalue()


def project_xlsx(form_id: str, lists: dict[str, list[tuple[str, str]]]) -> bytes:
    """The XLSForm as a team downloads it: the project's choices in place of the examples."""
    sheets, _version = filled_sheets(form_id, lists)
    return xlsx_bytes(sheets)


def xform(form_id: str, lists: dict[str, list[tuple[str, str]]]) -> XForm:
    """The XForm pyxform makes of the project's filled workbook (cached by its inputs)."""
    sheets, version = filled_sheets(form_id, lists)
    key = (form_id, version, json.dumps(sheets, sort_keys=True, default=str))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    result = convert(xlsform=io.BytesIO(xlsx_bytes(sheets)), file_type=".xlsx", warnings=[])
    title = str(sheets["settings"][1][sheets["settings"][0].index("form_title")])
    made = XForm(form_id=form_id, version=version, title=title, xml=result.xform)
    with _lock:
        _cache[key] = made
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return made
