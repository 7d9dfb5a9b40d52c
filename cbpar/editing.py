"""No lost edits: a record edited from an older version is refused, and the person sees their
values next to what is stored now (optimistic locking with SQLAlchemy's version_id_col)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import abort, flash, render_template, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cbpar.db import db
from cbpar.web import no_store


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


def conflict_page(
    template: str,
    form: Any,
    reload: Callable[[], Any],
    fields: tuple[str, ...],
    /,
    *,
    record: str,
    gone: str | None = None,
    stored: Callable[[Any], Any] | None = None,
    more_rows: Callable[[Any], list[dict[str, Any]]] | None = None,
    **context: Any,
) -> Response:
    """The 409 page after an `EditConflict`: nothing was saved, what the person typed stays in
    the form, next to what is stored now (the `conflict` rows of _conflict.html).

    `reload()` fetches the record again after the rollback (None: it is gone, or may no longer
    be shown); `gone` is then flashed over the form as it was (without `gone`, a bare 409).
    `stored(current)` gives what to compare with when the form holds values in another shape
    (local times); `more_rows(current)` adds rows for fields that are not plain columns. The
    form's version becomes the stored one, so saving again overwrites, knowingly."""
    db.session.rollback()
    current = reload()
    if current is None:
        if gone is None:
            abort(409)
        flash(gone, "error")
        return no_store(render_template(template, form=form, **context), 409)
    for name in fields:  # compare like with like: browsers send a textarea's lines with CRLF
        field = getattr(form, name)
        if isinstance(field.data, str):
            field.data = field.data.replace("\r\n", "\n")
    rows = conflict_rows(form, stored(current) if stored else current, fields)
    if more_rows is not None:
        rows += more_rows(current)
    form.version.data = str(current.version)
    context.update({record: current, "conflict": rows})
    return no_store(render_template(template, form=form, **context), 409)
