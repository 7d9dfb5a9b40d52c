"""Small helpers shared by the features' forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

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


# A position from a phone farther off than this is worth a second try (the field app warns).
POOR_ACCURACY_M = 50
MAX_ACCURACY_M = 100_000


def location_accuracy() -> FloatField:
    """How far off a point from the phone's location may be, in metres (blank: not from GPS)."""
    return FloatField(
        _l("Location accuracy (metres)"),
        validators=[
            Optional(),
            NumberRange(
                0, MAX_ACCURACY_M, message=_l("Accuracy is a distance in metres from 0 to 100000.")
            ),
        ],
        description=_l("Filled in by “Use my location”; leave blank for a typed point."),
        render_kw={"inputmode": "decimal", "data-accuracy": "1"},
    )


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token is sent."""


def check_button() -> None:
    """A button's POST must carry a valid CSRF token (an EmptyForm); anything else is a 400."""
    if not EmptyForm().validate_on_submit():
        abort(400)
