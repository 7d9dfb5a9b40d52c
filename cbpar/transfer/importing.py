"""Import households and facilities: check every row first, then write the chosen rows at once.

`plan()` reads nothing from the database per row: villages and the project's existing records
are loaded in one query each, so 50,000 rows are checked in a few seconds. `apply()` writes
new rows with one executemany per 1,000 and updates with one executemany per 1,000 and set of
changed columns, in the caller's transaction: it commits all of them or none.

Both report progress every 1,000 rows: `plan()` and `apply()` through an optional callback
`progress(phase, done, total)` ("checking" / "writing"); `plan_steps()` and `apply_steps()`
are the same work as generators that yield those events and return the result, so a streamed
web response can send each event as it happens (a callback cannot yield).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from cbpar import audit
from cbpar.db import db, utcnow
from cbpar.mapping import services as mapping_services
from cbpar.mapping.analysis import project_today
from cbpar.mapping.forms import MAX_COUNT
from cbpar.mapping.labels import CAREGIVER_LABELS, KIND_LABELS, MIGRANT_LABELS, STATUS_LABELS
from cbpar.mapping.models import (
    Caregiver,
    Facility,
    FacilityKind,
    FacilityStatus,
    Household,
    MigrantParents,
)
from cbpar.projects.models import Project, Village
from cbpar.transfer import columns as cols
from cbpar.transfer.models import ImportMapping
from cbpar.transfer.reading import Table

COUNTS = ("members", "children_under_6", "children_6_17", "left_behind_children")
HOUSEHOLD_VALUES = (
    "lat",
    "lon",
    *COUNTS,
    "migrant_parents",
    "caregiver",
    "visited_on",
    "consent_on",
    "consent_given_by",
    "notes",
    "source_id",
    "field_ref",
)
FACILITY_VALUES = ("kind", "status", "village_id", "lat", "lon", "capacity", "opened_on", "notes")
STEP = 1000  # rows between two progress events, and rows per executemany when writing
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_CODE = re.compile(r"^\s*([A-Za-z0-9]+)-0*(\d+)\s*$")
_BRACKETS = re.compile(r"[(（]([^)）]*)[)）]")
_VILLAGE_WORD = re.compile(r"\s+village$")
AMBIGUOUS = object()  # a village name that fits more than one village


Progress = Callable[[str, int, int], None]
Event = tuple[str, int, int]  # (phase, done, total)
T = TypeVar("T")


def _drive(steps: Generator[Event, None, T], progress: Progress | None) -> T:
    """Run a generator of progress events to its end, passing each event to `progress`."""
    while True:
        try:
            event = next(steps)
        except StopIteration as stop:
            return stop.value
        if progress is not None:
            progress(*event)


@dataclass
class RowProblem:
    line: int
    reasons: list[str]


@dataclass
class Plan:
    """What an import would do; nothing is written until `apply`."""

    kind: str
    total: int = 0
    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return len(self.new) + len(self.changed) + self.unchanged

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.total,
            "created": len(self.new),
            "updated": len(self.changed),
            "unchanged": self.unchanged,
            "invalid": len(self.problems),
        }


# --- value parsing ---------------------------------------------------------------------------


class Choices(dict):
    """Accepted spellings of an enum (lower case) -> member, and the list to show when a value
    is not one of them: each value with its label in the current language."""

    accepted: str = ""


def _choices(enum: type, labels: dict[Any, Any]) -> Choices:
    """Accepted spellings of an enum: its values, and its labels in English and Chinese."""
    lookup = Choices()
    lookup.accepted = ", ".join(f"{member.value} ({labels[member]})" for member in enum)
    for member in enum:
        lookup[member.value] = member
        lookup[member.value.replace("_", " ")] = member
        for locale in ("en", "zh_Hans"):
            with force_locale(locale):
                lookup[str(labels[member]).strip().lower()] = member
    return lookup


def _number(text: str) -> float | None:
    match = _NUMBER.fullmatch(text.strip())
    return float(match.group()) if match else None


def _geopoint(text: str) -> tuple[float, float] | None:
    """'lat lon [alt acc]' (KoBo/ODK geopoint) or '[lat, lon]' (KoBo _geolocation)."""
    numbers = _NUMBER.findall(text)
    if len(numbers) >= 2:
        return float(numbers[0]), float(numbers[1])
    return None


def _date(text: str) -> date | None | str:
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


class _Row:
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
        if self.values.get("_geopoint"):
            point = _geopoint(lat_text)
            if point is None:
                self.reasons.append(_("The location is not 'latitude longitude'."))
                return None, None
            lat, lon = point
        else:
            lat, lon = _number(lat_text), _number(lon_text)
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
        value = _number(text)
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
        value = _date(self.text(name))
        if value == "bad":
            self.reasons.append(_("%(field)s: not a real date.", field=label))
            return None
        if past and value is not None and value > self.today:
            self.reasons.append(_("%(field)s: this date is in the future.", field=label))
        return value  # type: ignore[return-value]


def _row_values(table: Table, mapping: dict[str, str]) -> Callable[[list[str]], dict[str, str]]:
    index = {c: i for i, c in enumerate(table.columns)}
    picks = [(f, index[c]) for f, c in mapping.items() if c and c in index]
    geopoint = bool(mapping.get("lat")) and mapping.get("lat") == mapping.get("lon")

    def values(cells: list[str]) -> dict[str, str]:
        found = {f: (cells[i] if i < len(cells) else "") for f, i in picks}
        if geopoint:
            found["_geopoint"] = "1"
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


def _village_lookup(project: Project) -> VillageLookup:
    return VillageLookup(
        list(db.session.scalars(select(Village).where(Village.project_id == project.id)))
    )


def _find_village(villages: VillageLookup, row: _Row) -> Village | None:
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


def check_mapping(kind: str, mapping: dict[str, str], table: Table) -> list[str]:
    """Problems with the mapping itself (a required field unmapped, a column not in the file)."""
    problems = []
    labels = cols.FIELDS[kind]
    for name in cols.REQUIRED[kind]:
        if not mapping.get(name):
            problems.append(_("Choose the column for %(field)s.", field=labels[name]))
    for column in cols.missing_columns(mapping, table.columns):
        problems.append(_("The file has no column %(column)s.", column=column))
    return problems


def plan(
    project: Project,
    kind: str,
    table: Table,
    mapping: dict[str, str],
    progress: Progress | None = None,
) -> Plan:
    """Check every row; `progress("checking", done, total)` every 1,000 rows and at the end."""
    return _drive(plan_steps(project, kind, table, mapping), progress)


def plan_steps(
    project: Project, kind: str, table: Table, mapping: dict[str, str]
) -> Generator[Event, None, Plan]:
    """`plan()` as a generator: yields ("checking", done, total), returns the Plan."""
    if kind == "households":
        result = yield from _plan_households(project, table, mapping)
    else:
        result = yield from _plan_facilities(project, table, mapping)
    yield ("checking", result.total, result.total)
    return result


# --- households ------------------------------------------------------------------------------


def _existing_households(project: Project) -> tuple[dict, dict, dict, dict[int, int]]:
    names = ["id", "code", "village_id", "number", "version", *HOUSEHOLD_VALUES]
    rows = db.session.execute(
        select(*[getattr(Household, n) for n in names]).where(Household.project_id == project.id)
    )
    by_code, by_source, by_ref, top = {}, {}, {}, {}
    for row in rows:
        record = dict(zip(names, row, strict=True))
        by_code[record["code"].lower()] = record
        if record["source_id"]:
            by_source[source_key(record["source_id"])] = record
        if record["field_ref"]:
            by_ref[(record["village_id"], record["field_ref"].lower())] = record
        top[record["village_id"]] = max(top.get(record["village_id"], 0), record["number"])
    return by_code, by_source, by_ref, top


def _plan_households(
    project: Project, table: Table, mapping: dict[str, str]
) -> Generator[Event, None, Plan]:
    result = Plan("households", total=len(table.rows))
    villages = _village_lookup(project)
    by_code, by_source, by_ref, top = _existing_households(project)
    migrant = _choices(MigrantParents, MIGRANT_LABELS)
    caregiver = _choices(Caregiver, CAREGIVER_LABELS)
    labels = {k: str(v) for k, v in cols.HOUSEHOLD_IMPORT_FIELDS.items()}
    today = project_today(project)
    values_of = _row_values(table, mapping)
    seen_codes: set[str] = set()
    seen_sources: set[str] = set()
    seen_refs: set[tuple[int, str]] = set()
    taken_numbers: dict[int, set[int]] = {}
    for done, (line, cells) in enumerate(table.rows, start=1):
        if done % STEP == 0:
            yield ("checking", done, result.total)
        row = _Row(values_of(cells), today)
        village = _find_village(villages, row)
        lat, lon = row.coordinates()
        data: dict[str, Any] = {"lat": lat, "lon": lon}
        for name in COUNTS:
            data[name] = row.count(name, labels[name])
        data["migrant_parents"] = row.choice(
            "migrant_parents", labels["migrant_parents"], migrant, MigrantParents.NONE
        )
        data["caregiver"] = row.choice(
            "caregiver", labels["caregiver"], caregiver, Caregiver.PARENTS
        )
        data["visited_on"] = row.day("visited_on", labels["visited_on"])
        data["consent_on"] = row.day("consent_on", labels["consent_on"])
        data["consent_given_by"] = row.text("consent_given_by")[:120]
        data["notes"] = row.text("notes")
        data["source_id"] = row.text("source_id")[:120] or None
        data["field_ref"] = row.text("field_ref")[:64] or None
        _check_counts(row, data)
        if data["consent_given_by"] and not data["consent_on"]:
            row.reasons.append(_("Give the date consent was given."))

        code = row.text("code")
        source = source_key(data["source_id"])
        ref = (village.id, data["field_ref"].lower()) if village and data["field_ref"] else None
        existing = by_code.get(code.lower()) if code else None
        if existing is None and source:
            existing = by_source.get(source)
        if existing is None and ref is not None:
            existing = by_ref.get(ref)
        key_code = (existing["code"] if existing else code).lower()
        if key_code and key_code in seen_codes:
            row.reasons.append(_("The household %(code)s is in the file twice.", code=code))
        if source and source in seen_sources:
            row.reasons.append(_("The submission id is in the file twice."))
        if ref is not None and ref in seen_refs:
            row.reasons.append(
                _("The field number %(ref)s is in the file twice.", ref=data["field_ref"])
            )
        owner = by_ref.get(ref) if ref is not None else None
        if owner is not None and existing is not None and owner["id"] != existing["id"]:
            row.reasons.append(
                _(
                    "The field number %(ref)s already belongs to household %(code)s.",
                    ref=data["field_ref"],
                    code=owner["code"],
                )
            )
        number = None
        if existing is not None and village is not None and existing["village_id"] != village.id:
            row.reasons.append(
                _("The household %(code)s is in another village.", code=existing["code"])
            )
        elif existing is None and code and village is not None:
            match = _CODE.match(code)
            if not match or match.group(1).lower() != village.code.lower():
                row.reasons.append(
                    _(
                        "The code %(code)s does not belong to village %(village)s. If it is "
                        'the field team\'s own number, choose its column for "%(field)s" '
                        "instead: our code is then made for it.",
                        code=code,
                        village=village.name,
                        field=labels["field_ref"],
                    )
                )
            else:
                number = int(match.group(2))
                if number in taken_numbers.get(village.id, set()):
                    row.reasons.append(_("The household %(code)s is in the file twice.", code=code))
        if row.reasons:
            result.problems.append(RowProblem(line, row.reasons))
            continue
        assert village is not None
        if key_code:
            seen_codes.add(key_code)
        if source:
            seen_sources.add(source)
        if ref is not None:
            seen_refs.add(ref)
        if existing is not None:
            given = {k: v for k, v in data.items() if _given(k, mapping, row)}
            diff = {k: v for k, v in given.items() if existing[k] != v}
            if diff:
                result.changed.append(
                    {"_id": existing["id"], "_version": existing["version"], "_line": line, **diff}
                )
            else:
                result.unchanged += 1
            continue
        if number is None:
            number = top.get(village.id, 0) + 1
            while number in taken_numbers.get(village.id, set()):
                number += 1
        top[village.id] = max(top.get(village.id, 0), number)
        taken_numbers.setdefault(village.id, set()).add(number)
        result.new.append(
            {
                "project_id": project.id,
                "village_id": village.id,
                "number": number,
                "code": mapping_services.household_code(village, number),
                "version": 1,
                "_line": line,
                **data,
            }
        )
    return result


def _check_counts(row: _Row, data: dict[str, Any]) -> None:
    """Counts that are known must agree; an unknown (blank) count is checked against nothing."""
    members, under_6, older, left_behind = (data[c] for c in COUNTS)
    children = None if under_6 is None or older is None else under_6 + older
    if left_behind is not None and children is not None and left_behind > children:
        row.reasons.append(
            _("Left-behind children cannot be more than the children under 18 (%(n)d).", n=children)
        )
    if members is not None and members < max(children or 0, 1):
        row.reasons.append(
            _("A household has at least one member, and at least as many as its children.")
        )


def _given(name: str, mapping: dict[str, str], row: _Row) -> bool:
    """Only fields the file maps (and fills) change an existing record."""
    if name in ("lat", "lon"):
        return True
    return bool(mapping.get(name)) and bool(row.text(name))


# --- facilities ------------------------------------------------------------------------------


def _plan_facilities(
    project: Project, table: Table, mapping: dict[str, str]
) -> Generator[Event, None, Plan]:
    result = Plan("facilities", total=len(table.rows))
    villages = _village_lookup(project)
    names = ["id", "name", *FACILITY_VALUES]
    existing_rows = db.session.execute(
        select(*[getattr(Facility, n) for n in names]).where(Facility.project_id == project.id)
    )
    existing = {r.name.strip().lower(): dict(zip(names, r, strict=True)) for r in existing_rows}
    kinds = _choices(FacilityKind, KIND_LABELS)
    statuses = _choices(FacilityStatus, STATUS_LABELS)
    labels = {k: str(v) for k, v in cols.FACILITY_IMPORT_FIELDS.items()}
    today = project_today(project)
    values_of = _row_values(table, mapping)
    seen: set[str] = set()
    for done, (line, cells) in enumerate(table.rows, start=1):
        if done % STEP == 0:
            yield ("checking", done, result.total)
        row = _Row(values_of(cells), today)
        name = row.text("name")[:200]
        if not name:
            row.reasons.append(_("%(field)s is missing.", field=labels["name"]))
        elif name.lower() in seen:
            row.reasons.append(_("The facility %(name)s is in the file twice.", name=name))
        village_id = None
        if row.text("village"):
            village = _find_village(villages, row)
            if village is not None:
                village_id = village.id
        lat, lon = row.coordinates()
        data: dict[str, Any] = {
            "kind": row.choice("kind", labels["kind"], kinds, None),
            "status": row.choice("status", labels["status"], statuses, FacilityStatus.OPERATING),
            "village_id": village_id,
            "lat": lat,
            "lon": lon,
            "capacity": row.count("capacity", labels["capacity"], maximum=100000),
            "opened_on": row.day("opened_on", labels["opened_on"], past=False),
            "notes": row.text("notes"),
        }
        if data["kind"] is None and not row.text("kind"):
            row.reasons.append(_("%(field)s is missing.", field=labels["kind"]))
        if row.reasons:
            result.problems.append(RowProblem(line, row.reasons))
            continue
        seen.add(name.lower())
        current = existing.get(name.lower())
        if current is not None:
            given = {k: v for k, v in data.items() if _given(k, mapping, row)}
            diff = {k: v for k, v in given.items() if current[k] != v}
            if diff:
                result.changed.append({"_id": current["id"], "_line": line, **diff})
            else:
                result.unchanged += 1
            continue
        result.new.append({"project_id": project.id, "name": name, "version": 1, **data})
    return result


# --- writing ---------------------------------------------------------------------------------


def _update_all(model: Any, rows: list[dict[str, Any]]) -> Generator[int, None, None]:
    """One executemany per set of changed columns (rows differ in which fields changed) and per
    1,000 rows; yields the number of rows written by each."""
    table = model.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    now = utcnow()
    for row in rows:
        fields = tuple(sorted(k for k in row if not k.startswith("_")))
        groups.setdefault(fields, []).append(row)
    for fields, group in groups.items():
        params = [
            {"b_id": r["_id"], **{f"b_{f}": r[f] for f in fields}, "b_updated_at": now}
            for r in group
        ]
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                {
                    **{f: bindparam(f"b_{f}") for f in fields},
                    "updated_at": bindparam("b_updated_at"),
                    "version": table.c.version + 1,
                }
            )
        )
        for start in range(0, len(params), STEP):
            chunk = params[start : start + STEP]
            db.session.execute(statement, chunk)
            yield len(chunk)


def apply(
    project: Project,
    result: Plan,
    *,
    source: str = "",
    by: Any = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the plan's valid rows in the current transaction, audited (counts only);
    `progress("writing", done, total)` every 1,000 rows written and at the end."""
    return _drive(apply_steps(project, result, source=source, by=by), progress)


def apply_steps(
    project: Project, result: Plan, *, source: str = "", by: Any = None
) -> Generator[Event, None, dict[str, int]]:
    """`apply()` as a generator: yields ("writing", done, total), returns the summary."""
    model = Household if result.kind == "households" else Facility
    new = [{k: v for k, v in r.items() if not k.startswith("_")} for r in result.new]
    total = len(new) + len(result.changed)
    done = 0
    for start in range(0, len(new), STEP):
        done += mapping_services.bulk_insert(model, new[start : start + STEP])
        yield ("writing", done, total)
    for written in _update_all(model, result.changed):
        done += written
        yield ("writing", done, total)
    summary = result.summary()
    audit.record(
        "import",
        project=project,
        actor=by,
        details={"what": result.kind, "source": source[:200], **summary},
    )
    db.session.flush()
    yield ("writing", total, total)
    return summary


# --- saved mappings --------------------------------------------------------------------------


def saved_mapping(project: Project, kind: str) -> dict[str, str]:
    record = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.project_id == project.id, ImportMapping.kind == kind
        )
    )
    return dict(record.mapping) if record else {}


def save_mapping(project: Project, kind: str, mapping: dict[str, str]) -> None:
    record = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.project_id == project.id, ImportMapping.kind == kind
        )
    )
    if record is None:
        record = ImportMapping(project_id=project.id, kind=kind)
        db.session.add(record)
    record.mapping = {k: v for k, v in mapping.items() if v}
    db.session.flush()


def mapping_for(project: Project, kind: str, table: Table, given: dict[str, str]) -> dict[str, str]:
    """Suggestions, then the project's saved mapping where its columns exist, then `given`."""
    mapping = cols.suggest(kind, table.columns)
    for name, column in saved_mapping(project, kind).items():
        if column in table.columns and name in mapping:
            mapping[name] = column
    mapping.update({k: v for k, v in given.items() if k in mapping})
    return mapping
