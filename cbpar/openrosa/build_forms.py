"""Write cbpar/openrosa/forms/<form_id>.xlsx from cbpar/openrosa/definitions.py (openpyxl).

Run once after changing a definition: `.venv/bin/python -m cbpar.openrosa.build_forms`.
The workbooks are standard XLSForms (sheets survey, choices, settings; columns
`label::English (en)` and `label::中文 (zh)`), readable by pyxform, KoBoToolbox and ODK Central.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from cbpar.openrosa.definitions import FORMS, LANGUAGES, FormDefinition

FOLDER = Path(__file__).parent / "forms"
SURVEY_COLUMNS = (
    "type",
    "name",
    *(f"label::{lang}" for lang in LANGUAGES),
    *(f"hint::{lang}" for lang in LANGUAGES),
    "required",
    "default",
    "constraint",
    *(f"constraint_message::{lang}" for lang in LANGUAGES),
    "appearance",
    "parameters",
)
CHOICE_COLUMNS = ("list_name", "name", *(f"label::{lang}" for lang in LANGUAGES))
SETTINGS_COLUMNS = ("form_id", "form_title", "version", "default_language")


def sheets(definition: FormDefinition) -> dict[str, list[list[Any]]]:
    """The form as rows of cells per sheet, header first (what the workbook holds)."""
    survey: list[list[Any]] = [list(SURVEY_COLUMNS)]
    for q in definition.questions:
        survey.append(
            [
                q.type,
                q.name,
                *q.label,
                *q.hint,
                "yes" if q.required else "",
                q.default,
                q.constraint,
                *(q.constraint_message if q.constraint else ("", "")),
                q.appearance,
                q.parameters,
            ]
        )
    choices: list[list[Any]] = [list(CHOICE_COLUMNS)]
    for list_name, rows in definition.choices.items():
        for choice in rows:
            choices.append([list_name, choice.name, *choice.label])
    title = f"CBPAR: {definition.title[0]} / {definition.title[1]}"
    settings = [
        list(SETTINGS_COLUMNS),
        [definition.form_id, title, definition.version, LANGUAGES[0]],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def workbook(rows_by_sheet: dict[str, list[list[Any]]]) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    for name, rows in rows_by_sheet.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([cell if cell != "" else None for cell in row])
    # A fixed date, so building twice writes the same workbook.
    book.properties.created = book.properties.modified = datetime(2026, 11, 29)
    book.properties.creator = "CBPAR Workspace"
    return book


def build(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for definition in FORMS.values():
        path = folder / definition.filename
        workbook(sheets(definition)).save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
