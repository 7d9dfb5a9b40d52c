"""Enumerations that carry their own translatable label.

A member is declared with its stored value and its label (and, if it needs one, a longer
description)::

    class NeedStatus(LabelledEnum):
        PROPOSED = "proposed", _l("Proposed")

The member is still its value (`NeedStatus.PROPOSED == "proposed"`, `str()` and JSON give
"proposed", `db.str_enum` stores it), and `NeedStatus.PROPOSED.label` is a lazy translation,
so templates write `{{ need.status.label }}`, forms take `label_choices(NeedStatus)` and
scripts get `NeedStatus.labels()` in their page's config. Model: indico's `RichStrEnum`.

This is a core module: it imports no feature.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class LabelledEnum(StrEnum):
    """A `StrEnum` whose members carry a lazy-translated `label` (and optional `description`)."""

    _label: Any
    _description: Any

    def __new__(cls, value: str, label: Any, description: Any = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        member._description = description
        return member

    @property
    def label(self) -> Any:
        """The member's label, translated into the locale of the request when shown."""
        return self._label

    @property
    def description(self) -> Any:
        """A longer explanation of the member, or None."""
        return self._description

    @classmethod
    def label_of(cls, value: str | None) -> Any:
        """The label of a stored value (for a plain string column), or the value if unknown."""
        try:
            return cls(value).label
        except ValueError:
            return value

    @classmethod
    def labels(cls) -> dict[str, str]:
        """{value: translated label} in the current locale, for a page's JSON config."""
        return {member.value: str(member.label) for member in cls}
