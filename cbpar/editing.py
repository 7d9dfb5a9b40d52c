"""No lost edits: a record edited from an older version is refused, and the person sees their
values next to what is stored now (optimistic locking with SQLAlchemy's version_id_col)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, request
from sqlalchemy.orm.exc import StaleDataError

from cbpar.db import db


class EditConflict(Exception):
    """The record changed since the form was loaded; nothing was saved."""


def apply_changes(record: Any, data: dict[str, Any], fields: Sequence[str]) -> list[str]:
    """Set the given fields that differ from the record's values; name the ones that changed."""
    changed = [f for f in fields if f in data and getattr(record, f) != data[f]]
    for name in changed:
        setattr(record, name, data[name])
    return changed


def posted_version(field: str = "version") -> int:
    """The version the edit form was loaded with, from the request itself (a form object would
    fall back to the record's current version when the field is missing, defeating the check)."""
    try:
        return int(request.form[field])
    except (KeyError, ValueError):
        abort(400)


def check_version(record: Any, version: int) -> None:
    if record.version != version:
        raise EditConflict


def flush_or_conflict() -> None:
    """Write now, so a save that raced ours (same version, saved first) is caught here."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise EditConflict from exc


def _shown(field: Any, value: Any) -> Any:
    """A value as the person knows it: a choice's label rather than its stored code."""
    for choice in getattr(field, "choices", None) or ():
        if str(choice.value) == str(value if value is not None else ""):
            return choice.label
    return "" if value is None else value


def conflict_rows(form: Any, record: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Fields where what the person typed differs from what is stored now (for _conflict.html)."""
    rows = []
    for name in fields:
        field = getattr(form, name)
        stored = getattr(record, name)
        if field.data == stored or (field.data in (None, "") and stored in (None, "")):
            continue
        rows.append(
            {
                "label": field.label.text,
                "yours": _shown(field, field.data),
                "stored": _shown(field, stored),
            }
        )
    return rows
