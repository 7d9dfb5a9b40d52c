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
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from cbpar import audit
from cbpar.audit import AuditEvent
from cbpar.db import db, utcnow
from cbpar.mapping import services as mapping_services
from cbpar.mapping.analysis import project_today
from cbpar.mapping.models import (
    Caregiver,
    Facility,
    FacilityKind,
    FacilityStatus,
    Household,
    MigrantParents,
)
from cbpar.projects.models import Project
from cbpar.transfer import columns as cols
from cbpar.transfer.import_values import (
    Row,
    choices_of,
    find_village,
    row_values,
    source_key,
    village_lookup,
)
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
_CODE = re.compile(r"^\s*([A-Za-z0-9]+)-0*(\d+)\s*$")


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
    planner = _HouseholdPlanner(project, len(table.rows), mapping)
    values_of = row_values(table, mapping)
    for done, (line, cells) in enumerate(table.rows, start=1):
        if done % STEP == 0:
            yield ("checking", done, planner.result.total)
        planner.add(line, Row(values_of(cells), planner.today))
    return planner.result


class _HouseholdPlanner:
    """Plans household rows one by one, in named steps: read the values, find the household
    the row is about, refuse what the file repeats or contradicts, then plan a change or a
    new household (numbering new ones after the village's last)."""

    def __init__(self, project: Project, total: int, mapping: dict[str, str]) -> None:
        self.project, self.mapping = project, mapping
        self.result = Plan("households", total=total)
        self.villages = village_lookup(project)
        self.by_code, self.by_source, self.by_ref, self.top = _existing_households(project)
        self.migrant = choices_of(MigrantParents)
        self.caregiver = choices_of(Caregiver)
        self.labels = {k: str(v) for k, v in cols.HOUSEHOLD_IMPORT_FIELDS.items()}
        self.today = project_today(project)
        self.seen_codes: set[str] = set()
        self.seen_sources: set[str] = set()
        self.seen_refs: set[tuple[int, str]] = set()
        self.taken_numbers: dict[int, set[int]] = {}

    def add(self, line: int, row: Row) -> None:
        village = find_village(self.villages, row)
        data = self._values(row)
        code = row.text("code")
        source = source_key(data["source_id"])
        ref = (village.id, data["field_ref"].lower()) if village and data["field_ref"] else None
        existing = self._existing(code, source, ref)
        key_code = (existing["code"] if existing else code).lower()
        self._check_repeats(row, data, code, key_code, source, ref, existing)
        number = self._check_village(row, village, code, existing)
        if row.reasons:
            self.result.problems.append(RowProblem(line, row.reasons))
            return
        assert village is not None
        if key_code:
            self.seen_codes.add(key_code)
        if source:
            self.seen_sources.add(source)
        if ref is not None:
            self.seen_refs.add(ref)
        if existing is not None:
            self._plan_change(line, row, data, existing)
        else:
            self._plan_new(line, data, village, number)

    def _values(self, row: Row) -> dict[str, Any]:
        """The row's values as columns, with the reasons any of them is refused."""
        labels = self.labels
        lat, lon = row.coordinates()
        data: dict[str, Any] = {"lat": lat, "lon": lon}
        for name in COUNTS:
            data[name] = row.count(name, labels[name])
        data["migrant_parents"] = row.choice(
            "migrant_parents", labels["migrant_parents"], self.migrant, MigrantParents.UNKNOWN
        )
        data["caregiver"] = row.choice(
            "caregiver", labels["caregiver"], self.caregiver, Caregiver.UNKNOWN
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
        return data

    def _existing(
        self, code: str, source: str, ref: tuple[int, str] | None
    ) -> dict[str, Any] | None:
        """The stored household the row is about: by our code, else submission id, else the
        field team's number in its village."""
        existing = self.by_code.get(code.lower()) if code else None
        if existing is None and source:
            existing = self.by_source.get(source)
        if existing is None and ref is not None:
            existing = self.by_ref.get(ref)
        return existing

    def _check_repeats(
        self,
        row: Row,
        data: dict[str, Any],
        code: str,
        key_code: str,
        source: str,
        ref: tuple[int, str] | None,
        existing: dict[str, Any] | None,
    ) -> None:
        """A household, submission or field number twice in the file, or a field number that
        already belongs to another household."""
        if key_code and key_code in self.seen_codes:
            row.reasons.append(_("The household %(code)s is in the file twice.", code=code))
        if source and source in self.seen_sources:
            row.reasons.append(_("The submission id is in the file twice."))
        if ref is not None and ref in self.seen_refs:
            row.reasons.append(
                _("The field number %(ref)s is in the file twice.", ref=data["field_ref"])
            )
        owner = self.by_ref.get(ref) if ref is not None else None
        if owner is not None and existing is not None and owner["id"] != existing["id"]:
            row.reasons.append(
                _(
                    "The field number %(ref)s already belongs to household %(code)s.",
                    ref=data["field_ref"],
                    code=owner["code"],
                )
            )

    def _check_village(
        self, row: Row, village: Any, code: str, existing: dict[str, Any] | None
    ) -> int | None:
        """A known household stays in its village; a new one's code must be the village's.
        Returns the number a new household's code gives, if any."""
        if existing is not None and village is not None and existing["village_id"] != village.id:
            row.reasons.append(
                _("The household %(code)s is in another village.", code=existing["code"])
            )
            return None
        if existing is not None or not code or village is None:
            return None
        match = _CODE.match(code)
        if not match or match.group(1).lower() != village.code.lower():
            row.reasons.append(
                _(
                    "The code %(code)s does not belong to village %(village)s. If it is "
                    'the field team\'s own number, choose its column for "%(field)s" '
                    "instead: our code is then made for it.",
                    code=code,
                    village=village.name,
                    field=self.labels["field_ref"],
                )
            )
            return None
        number = int(match.group(2))
        if number in self.taken_numbers.get(village.id, set()):
            row.reasons.append(_("The household %(code)s is in the file twice.", code=code))
        return number

    def _plan_change(
        self, line: int, row: Row, data: dict[str, Any], existing: dict[str, Any]
    ) -> None:
        """Only the values the file gives, and only those that differ, are changed."""
        given = {k: v for k, v in data.items() if _given(k, self.mapping, row)}
        diff = {k: v for k, v in given.items() if existing[k] != v}
        if diff:
            self.result.changed.append(
                {"_id": existing["id"], "_version": existing["version"], "_line": line, **diff}
            )
        else:
            self.result.unchanged += 1

    def _plan_new(self, line: int, data: dict[str, Any], village: Any, number: int | None) -> None:
        taken = self.taken_numbers.setdefault(village.id, set())
        if number is None:
            number = self.top.get(village.id, 0) + 1
            while number in taken:
                number += 1
        self.top[village.id] = max(self.top.get(village.id, 0), number)
        taken.add(number)
        self.result.new.append(
            {
                "project_id": self.project.id,
                "village_id": village.id,
                "number": number,
                "code": mapping_services.household_code(village, number),
                "version": 1,
                "_line": line,
                **data,
            }
        )


def _check_counts(row: Row, data: dict[str, Any]) -> None:
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


def _given(name: str, mapping: dict[str, str], row: Row) -> bool:
    """Only fields the file maps (and fills) change an existing record."""
    if name in ("lat", "lon"):
        return True
    return bool(mapping.get(name)) and bool(row.text(name))


# --- facilities ------------------------------------------------------------------------------


def _plan_facilities(
    project: Project, table: Table, mapping: dict[str, str]
) -> Generator[Event, None, Plan]:
    result = Plan("facilities", total=len(table.rows))
    villages = village_lookup(project)
    names = ["id", "name", *FACILITY_VALUES]
    existing_rows = db.session.execute(
        select(*[getattr(Facility, n) for n in names]).where(Facility.project_id == project.id)
    )
    existing = {r.name.strip().lower(): dict(zip(names, r, strict=True)) for r in existing_rows}
    kinds = choices_of(FacilityKind)
    statuses = choices_of(FacilityStatus)
    labels = {k: str(v) for k, v in cols.FACILITY_IMPORT_FIELDS.items()}
    today = project_today(project)
    values_of = row_values(table, mapping)
    seen: set[str] = set()
    for done, (line, cells) in enumerate(table.rows, start=1):
        if done % STEP == 0:
            yield ("checking", done, result.total)
        row = Row(values_of(cells), today)
        name = row.text("name")[:200]
        if not name:
            row.reasons.append(_("%(field)s is missing.", field=labels["name"]))
        elif name.lower() in seen:
            row.reasons.append(_("The facility %(name)s is in the file twice.", name=name))
        village_id = None
        if row.text("village"):
            village = find_village(villages, row)
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
    summary, _event = _drive(apply_steps(project, result, source=source, by=by), progress)
    return summary


def apply_steps(
    project: Project, result: Plan, *, source: str = "", by: Any = None
) -> Generator[Event, None, tuple[dict[str, int], AuditEvent]]:
    """`apply()` as a generator: yields ("writing", done, total), returns the summary and the
    import's audit event."""
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
    event = audit.record(
        "import",
        project=project,
        actor=by,
        details={"what": result.kind, "source": source[:200], **summary},
    )
    db.session.flush()
    yield ("writing", total, total)
    return summary, event
