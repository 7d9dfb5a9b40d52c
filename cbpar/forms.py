"""Small helpers shared by the features' forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from cbpar.enums import LabelledEnum


def label_choices(members: Iterable[LabelledEnum]) -> list[SelectChoice]:
    """Select options from a labelled enum (or some of its members), in their order."""
    return [SelectChoice(member.value, member.label) for member in members]


def optional_int(value: Any) -> int | None:
    """A select's value as an id, or None for the empty choice (and for anything not a number)."""
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token is sent."""


def check_button() -> None:
    """A button's POST must carry a valid CSRF token (an EmptyForm); anything else is a 400."""
    if not EmptyForm().validate_on_submit():
        abort(400)
