"""Small helpers shared by the features' forms."""

from __future__ import annotations

from enum import Enum
from typing import Any

from wtforms.fields.choices import SelectChoice


def label_choices(labels: dict[Enum, Any]) -> list[SelectChoice]:
    """Select options from an enum's {member: translatable label} dictionary, in its order."""
    return [SelectChoice(member.value, label) for member, label in labels.items()]


def optional_int(value: Any) -> int | None:
    """A select's value as an id, or None for the empty choice (and for anything not a number)."""
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None
