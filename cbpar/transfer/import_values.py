"""A spreadsheet row's cells as values: numbers, coordinates, dates, choices among an enum's
values or labels, and villages found by code, name or alias. Used by `importing`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from cbpar.db import db
from cbpar.enums import LabelledEnum
from cbpar.mapping.forms import MAX_COUNT
from cbpar.projects.models import Project, Village
from cbpar.transfer.reading import Table

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_BRACKETS = re.compile(r"[(（]([^)）]*)[)）]")
_VILLAGE_WORD = re.compile(r"\s+village$")
AMBIGUOUS = object()  # a village name that fits more than one village


class Choices(dict):
    """Accepted spellings of an enum (lower case) -> member, and the list to show when a value
    is not one of them: each value with its label in the current language."""

    accepted: str = ""


# Chinese labels the app used before (docs/glossary.md): forms and files that field teams
# built from them keep importing.
FORMER_LABELS = {"MigrantParents": {"父母都没有": "none", "父母双方": "both"}}
# How survey forms write "not known" (KoBo/ODK's `dont_know`, 不清楚 ...): for an enum with an
# UNKNOWN member (the family answers), these import as unknown rather than being refused.
UNKNOWN_SPELLINGS = (
    "not asked",
    "don't know",
    "dont know",
    "dont_know",
    "do not know",
    "dk",
    "n/a",
    "na",
    "不知道",
    "不清楚",
    "未知",
    "未问",
    "未询问",
    "没问",
)


def choices_of(enum: type[LabelledEnum]) -> Choices:
    """Accepted spellings of an enum: its values, and its labels in English and Chinese."""
    lookup = Choices()
    lookup.accepted = ", ".join(f"{member.value} ({member.label})" for member in enum)
    for member in enum:
        lookup[member.value] = member
        lookup[member.value.replace("_", " ")] = member
        for locale in ("en", "zh_Hans"):
            with force_locale(locale):
                lookup[str(member.label).strip().lower()] = member
    for former, value in FORMER_LABELS.get(enum.__name__, {}).items():
        lookup.setdefault(former, enum(value))
    if "unknown" in enum._value2member_map_:
        for spelling in UNKNOWN_SPELLINGS:
            lookup.setdefault(spelling, enum("unknown"))
    return lookup


def parse_number(text: str) -> float | None:
    match = _NUMBER.fullmatch(text.strip())
    return float(match.group()) if match else None


def parse_geopoint(text: str) -> tuple[float, float] | None:
    """'lat lon [alt acc]' (KoBo/ODK geopoint) or '[lat, lon]' (KoBo _geolocation)."""
    numbers = _NUMBER.findall(text)
    if len(numbers) >= 2:
        return float(numbers[0]), float(numbers[1])
    return None


def parse_date(text: str) -> date | None | str:
    """A date, None when empty, or the string 'bad'."""
    text = text.strip()
    if not text:
        return None
    head = text[:10].replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(head)
    except ValueError:
        pass
    try:
        return datetime.strptime(head, "%Y-%m-%d").date()
    except ValueError:
        return "bad"


class Row:
    """One row's cells by field, and the reasons it is refused."""

    def __init__(self, values: dict[str, str], today: date):
        self.values, self.today, self.reasons = values, today, []

    def text(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def coordinates(self) -> tuple[float | None, float | None]:
        lat_text, lon_text = self.text("lat"), self.text("lon")
        if not lat_text or not lon_text:
            self.reasons.append(_("Missing coordinates."))
            return None, None
        if self.values.get("parse_geopoint"):
            point = parse_geopoint(lat_text)
            if point is None:
                self.reasons.append(_("The location is not 'latitude longitude'."))
                return None, None
            lat, lon = point
        else:
            lat, lon = parse_number(lat_text), parse_number(lon_text)
            if lat is None or lon is None:
                self.reasons.append(_("Coordinates are not numbers."))
                return None, None
        if not -90 <= lat <= 90:
            self.reasons.append(_("Latitude is between -90 and 90."))
        if not -180 <= lon <= 180:
            self.reasons.append(_("Longitude is between -180 and 180."))
        return lat, lon

    def count(self, name: str, label: str, maximum: int = MAX_COUNT) -> int | None:
        """A whole number, or None when the cell is blank (unknown, never 0)."""
        text = self.text(name)
        if not text:
            return None
        value = parse_number(text)
        if value is None or not value.is_integer() or not 0 <= value <= maximum:
            self.reasons.append(
                _("%(field)s: enter a whole number from 0 to %(max)d.", field=label, max=maximum)
            )
            return None
        return int(value)

    def choice(self, name: str, label: str, lookup: dict[str, Any], default: Any) -> Any:
        text = self.text(name)
        if not text:
            return default
        value = lookup.get(text.lower()) or lookup.get(text.lower().replace("-", "_"))
        if value is None:
            self.reasons.append(
                _(
                    "%(field)s: unknown value %(value)s. Accepted values: %(accepted)s.",
                    field=label,
                    value=text,
                    accepted=getattr(lookup, "accepted", ""),
                )
            )
        return value

    def day(self, name: str, label: str, past: bool = True) -> date | None:
        value = parse_date(self.text(name))
        if value == "bad":
            self.reasons.append(_("%(field)s: not a real date.", field=label))
            return None
        if past and value is not None and value > self.today:
            self.reasons.append(_("%(field)s: this date is in the future.", field=label))
        return value  # type: ignore[return-value]


def row_values(table: Table, mapping: dict[str, str]) -> Callable[[list[str]], dict[str, str]]:
    index = {c: i for i, c in enumerate(table.columns)}
    picks = [(f, index[c]) for f, c in mapping.items() if c and c in index]
    geopoint = bool(mapping.get("lat")) and mapping.get("lat") == mapping.get("lon")

    def values(cells: list[str]) -> dict[str, str]:
        found = {f: (cells[i] if i < len(cells) else "") for f, i in picks}
        if geopoint:
            found["parse_geopoint"] = "1"
        return found

    return values


def village_key(text: str) -> str:
    """A village name as compared: full-width folded, case and surrounding spaces ignored."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def village_names(village: Village) -> tuple[list[str], list[str]]:
    """The names a village is known by: given (code, full name, aliases) and derived from the
    full name's parts ("Liangshui Village (凉水村)" -> "Liangshui Village", "凉水村",
    "Liangshui")."""
    aliases = [a for a in (village.aliases or "").splitlines() if a.strip()]
    given = [village.code, village.name, *aliases]
    derived: list[str] = []
    for name in (village.name, *aliases):
        key = village_key(name)
        parts = [_BRACKETS.sub(" ", key).strip(), *_BRACKETS.findall(key)]
        for part in parts:
            part = part.strip()
            derived.append(part)
            derived.append(_VILLAGE_WORD.sub("", part))
    return [village_key(n) for n in given], [village_key(n) for n in derived if n.strip()]


class VillageLookup:
    """Find a village by code, full name or alias, else by a part of its name; a name that
    fits two villages is AMBIGUOUS rather than a guess."""

    def __init__(self, villages: list[Village]):
        self.given: dict[str, Any] = {}
        self.derived: dict[str, Any] = {}
        for village in villages:
            given, derived = village_names(village)
            for table, keys in ((self.given, given), (self.derived, derived)):
                for key in keys:
                    if key and table.get(key, village) is not village:
                        table[key] = AMBIGUOUS
                    elif key:
                        table[key] = village

    def get(self, text: str) -> Any:
        key = village_key(text)
        if not key:
            return None
        found = self.given.get(key)
        return found if found is not None else self.derived.get(key)


def village_lookup(project: Project) -> VillageLookup:
    return VillageLookup(
        list(db.session.scalars(select(Village).where(Village.project_id == project.id)))
    )


def find_village(villages: VillageLookup, row: Row) -> Village | None:
    village = villages.get(row.text("village"))
    if village is AMBIGUOUS:
        row.reasons.append(
            _("The village %(name)s fits more than one village.", name=row.text("village"))
        )
        return None
    if village is None:
        row.reasons.append(_("Unknown village: %(name)s.", name=row.text("village") or "-"))
    return village


def source_key(text: str | None) -> str:
    """A submission id as compared: KoBo's `_uuid` and ODK/KoBo `meta/instanceID`
    ("uuid:...") of the same submission are the same key."""
    text = (text or "").strip().lower()
    return text[5:] if text.startswith("uuid:") else text
