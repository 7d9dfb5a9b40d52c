"""One archived row made ready to insert, or refused: nothing in it is taken on trust.

- Every value is checked against its column's type (and length, and allowed choices).
- The project reference is the archive's own project; every foreign key points at a row of
  the same archive (or a user listed in it); a typed reference (`X_type`/`X_id`) names a kind
  of record and a row of that kind in the archive. Any other value refuses the archive.
- Ids are translated through one map per table (archive id -> new id), never by arithmetic.
- JSON columns are handled by a rule each (`JSON_RULES`): ids inside them (a ballot's
  choices, an audit event's details) are translated too; a JSON column without a rule refuses.
- Derived columns are rebuilt, never copied: `html` from `body` through cbpar.text; secrets
  (hashes, tokens, voter keys) are dropped.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy import types as sqltypes

from cbpar.db import UTCDateTime
from cbpar.security import Role
from cbpar.text import render_markdown
from cbpar.transfer.archive import ArchiveError, is_secret


class RowProblem(ValueError):
    """What is wrong with one value (the caller adds the table and row)."""


def refuse(table: str, row: Any, problem: str) -> ArchiveError:
    return ArchiveError(f"Refused (nothing was imported): table {table}, row {row}: {problem}.")


def row_name(raw: Any, line: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), int):
        return f"id {raw['id']}"
    return f"#{line}"


# --- plain values ----------------------------------------------------------------------------


def _text(column: Column, value: Any) -> str:
    if not isinstance(value, str):
        raise RowProblem(f"{column.name} must be text")
    if "\x00" in value:
        raise RowProblem(f"{column.name} holds a NUL character")
    length = getattr(column.type, "length", None)
    if length and len(value) > length:
        raise RowProblem(f"{column.name} is longer than {length} characters")
    return value


def value_of(column: Column, value: Any) -> Any:
    """The archived JSON value as the column's Python value, or RowProblem."""
    if value is None:
        if not column.nullable and not column.primary_key:
            raise RowProblem(f"{column.name} may not be empty")
        return None
    kind = column.type
    try:
        if isinstance(kind, UTCDateTime):
            parsed = datetime.fromisoformat(_text(column, value))
            if parsed.tzinfo is None:
                raise RowProblem(f"{column.name} has no time zone")
            return parsed
        if isinstance(kind, sqltypes.TypeDecorator):
            kind = kind.impl_instance
        if isinstance(kind, sqltypes.Enum):
            if value not in kind.enums:
                raise RowProblem(f"{column.name} has an unknown value {str(value)[:40]!r}")
            return value
        if isinstance(kind, sqltypes.DateTime):
            return datetime.fromisoformat(_text(column, value))
        if isinstance(kind, sqltypes.Date):
            return date.fromisoformat(_text(column, value))
        if isinstance(kind, sqltypes.Boolean):
            if not isinstance(value, bool):
                raise RowProblem(f"{column.name} must be true or false")
            return value
        if isinstance(kind, sqltypes.Integer):
            bound = 2**63 if isinstance(kind, sqltypes.BigInteger) else 2**31
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= bound:
                raise RowProblem(f"{column.name} must be a whole number in range")
            return value
        if isinstance(kind, sqltypes.Float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RowProblem(f"{column.name} must be a number")
            if not math.isfinite(value):
                raise RowProblem(f"{column.name} must be a finite number")
            return float(value)
        if isinstance(kind, sqltypes.Numeric):
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise RowProblem(f"{column.name} must be a number")
            number = Decimal(str(value))
            if not number.is_finite():
                raise RowProblem(f"{column.name} must be a finite number")
            return number
        if isinstance(kind, sqltypes.String):  # Text too
            return _text(column, value)
        if isinstance(kind, sqltypes.JSON):
            return value
        if isinstance(kind, sqltypes.LargeBinary):
            return base64.b64decode(_text(column, value), validate=True)
    except (ValueError, InvalidOperation, binascii.Error) as exc:
        if isinstance(exc, RowProblem):
            raise
        raise RowProblem(f"{column.name} is not a valid {type(kind).__name__.lower()}") from exc
    raise RowProblem(f"{column.name} has a type this version cannot check")


# --- references ------------------------------------------------------------------------------


@dataclass
class Ids:
    """What the survey of the archive found, and (once allocated) the new ids."""

    project_id: int  # the archive's project
    archive: dict[str, set[int]] = field(default_factory=dict)  # table -> ids in the archive
    users: set[int] = field(default_factory=set)  # archive user ids listed in users.json
    new: dict[str, dict[int, int]] | None = None  # table -> archive id -> new id
    new_users: dict[int, int] | None = None  # archive user id -> local user id
    options: dict[int, set[int]] = field(default_factory=dict)  # round -> its options' needs
    # Kinds of record a typed reference may name -> their table: links, comments and
    # attachments use the link registry's names; audit events use table names (and "user").
    record_kinds: dict[str, str] = field(default_factory=dict)
    table_kinds: dict[str, str] = field(default_factory=dict)

    def has(self, table: str, value: int) -> bool:
        if table == "user":
            return value in self.users
        return value in self.archive.get(table, ())

    def map(self, table: str, value: int) -> int:
        """The new id of an archive row already known to be in the archive."""
        if table == "user":
            return self.new_users[value] if self.new_users is not None else value
        return self.new[table][value] if self.new is not None else value

    def ref(self, table: str, value: Any, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not self.has(table, value):
            whom = "user" if table == "user" else table
            raise RowProblem(f"{what} points to {whom} {value!r}, which is not in the archive")
        return self.map(table, value)

    def maybe(self, table: str, value: Any) -> int | None:
        """For history (audit details): the new id, or None when it is not in the archive."""
        if isinstance(value, int) and not isinstance(value, bool) and self.has(table, value):
            return self.map(table, value)
        return None


def typed_pairs(table: Table) -> list[tuple[str, str]]:
    """(`X_type`, `X_id`) columns: a reference to a record of any kind, without a foreign key."""
    pairs = []
    for column in table.c:
        if column.name.endswith("_type"):
            id_name = column.name[:-5] + "_id"
            if id_name in table.c and not table.c[id_name].foreign_keys:
                pairs.append((column.name, id_name))
    return pairs


# --- JSON columns ----------------------------------------------------------------------------

JsonRule = Callable[[dict[str, Any], Any, Ids], Any]  # (raw row, value, ids) -> value to store


def _ballot_choices(raw: dict[str, Any], value: Any, ids: Ids) -> list[int]:
    options = ids.options.get(raw.get("round_id"), set())
    if not isinstance(value, list) or not value:
        raise RowProblem("choices must be a non-empty list of need ids")
    seen: set[int] = set()
    out = []
    for need in value:
        if not isinstance(need, int) or isinstance(need, bool) or need not in options:
            raise RowProblem(f"choices name need {need!r}, which is not an option of its round")
        if need in seen:
            raise RowProblem(f"choices name need {need} twice")
        seen.add(need)
        out.append(ids.map("need", need))
    return out


def _eligible_roles(_raw: dict[str, Any], value: Any, _ids: Ids) -> list[str]:
    known = {r.value for r in Role}
    if not isinstance(value, list) or any(v not in known for v in value):
        raise RowProblem("eligible_roles must list known roles")
    return list(value)


def _recounted(_raw: dict[str, Any], value: Any, _ids: Ids) -> Any:
    # A round's stored count is derived from its ballots: recounted after the import.
    if value is not None and not isinstance(value, dict):
        raise RowProblem("result must be an object")
    return None


def _audit_details(_raw: dict[str, Any], value: Any, ids: Ids) -> dict[str, Any]:
    """Counts, field names and reasons are kept; ids are translated, or emptied when the record
    is not in the archive (history outlives records). An id's kind comes from its partner key
    (`target_type`/`target_id`, `target`/`target_id`) or its name (`facility_id`, `user_id`);
    an id of unknown kind is emptied rather than left pointing at whatever has it here."""
    if not isinstance(value, dict):
        raise RowProblem("details must be an object")
    out = dict(value)
    for key, item in value.items():
        if not key.endswith("_id"):
            continue
        prefix = key[:-3]
        kind = value.get(f"{prefix}_type", value.get(prefix))
        table = ids.record_kinds.get(kind) if isinstance(kind, str) else None
        table = table or ids.table_kinds.get(prefix)
        out[key] = ids.maybe(table, item) if table else None
    if "needs" in out:
        needs = out["needs"] if isinstance(out["needs"], list) else []
        out["needs"] = [n for n in (ids.maybe("need", i) for i in needs) if n is not None]
    return out


def _candidates(_raw: dict[str, Any], value: Any, _ids: Ids) -> list[list[float]]:
    ok = isinstance(value, list) and all(
        isinstance(p, list)
        and len(p) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in p)
        for p in value
    )
    if not ok:
        raise RowProblem("candidates must be a list of [lat, lon] points")
    return value


def _object(_raw: dict[str, Any], value: Any, _ids: Ids) -> Any:
    # A saved analysis's answer (village names and counts, no ids), a village's boundary.
    if value is not None and not isinstance(value, dict):
        raise RowProblem("expected an object")
    return value


def _column_names(_raw: dict[str, Any], value: Any, _ids: Ids) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise RowProblem("mapping must map field names to column names")
    return value


def _reasons(_raw: dict[str, Any], value: Any, _ids: Ids) -> list[dict[str, str]]:
    # Why an ODK Collect submission waits: [{"field": question, "message": text}], no ids.
    ok = isinstance(value, list) and all(
        isinstance(r, dict)
        and set(r) == {"field", "message"}
        and all(isinstance(v, str) for v in r.values())
        for r in value
    )
    if not ok:
        raise RowProblem("reasons must be a list of {field, message} texts")
    return value


JSON_RULES: dict[tuple[str, str], JsonRule] = {
    ("ballot", "choices"): _ballot_choices,
    ("vote_round", "eligible_roles"): _eligible_roles,
    ("vote_round", "result"): _recounted,
    ("audit_event", "details"): _audit_details,
    ("saved_analysis", "candidates"): _candidates,
    ("saved_analysis", "result"): _object,
    ("village", "boundary"): _object,
    ("import_mapping", "mapping"): _column_names,
    ("openrosa_submission", "reasons"): _reasons,
}


def json_columns(table: Table) -> list[str]:
    return [c.name for c in table.c if isinstance(c.type, sqltypes.JSON)]


# --- a whole row -----------------------------------------------------------------------------


@dataclass
class Converter:
    """Turns archived rows of one table into rows to insert (or raises ArchiveError)."""

    table: Table
    columns: list[str]  # the archive's columns for this table, secrets removed
    ids: Ids

    def __post_init__(self) -> None:
        for name in json_columns(self.table):
            if name in self.columns and (self.table.name, name) not in JSON_RULES:
                raise ArchiveError(
                    f"Refused (nothing was imported): table {self.table.name}, column {name} "
                    f"holds JSON this version does not know how to check."
                )

    def convert(self, raw: Any, line: int) -> dict[str, Any]:
        name = self.table.name
        where = row_name(raw, line)
        if not isinstance(raw, dict):
            raise refuse(name, where, "not an object")
        unknown = set(raw) - set(self.table.c.keys())
        if unknown:
            raise refuse(name, where, f"unknown fields {', '.join(sorted(unknown)[:5])}")
        try:
            return self._convert(raw)
        except RowProblem as exc:
            raise refuse(name, where, str(exc)) from None

    def _convert(self, raw: dict[str, Any]) -> dict[str, Any]:
        table, ids = self.table, self.ids
        row: dict[str, Any] = {}
        for name in self.columns:
            if name not in raw:
                raise RowProblem(f"it lacks {name}")
            column = table.c[name]
            if is_secret(column):
                continue
            row[name] = value_of(column, raw[name])
        if table.name == "project" and row.get("id") != ids.project_id:
            raise RowProblem(f"it is not the archive's project {ids.project_id}")
        if "project_id" in row and row["project_id"] != ids.project_id:
            raise RowProblem(
                f"it belongs to project {row['project_id']!r}, "
                f"not to the archive's project {ids.project_id}"
            )
        for name in list(row):
            column = table.c[name]
            for fk in column.foreign_keys:
                if row[name] is not None:
                    row[name] = ids.ref(fk.column.table.name, row[name], name)
        for type_name, id_name in typed_pairs(table):
            if type_name in row and id_name in row:
                row[id_name] = self._typed(row[type_name], row[id_name], id_name)
        for name in json_columns(table):
            if name in row:
                row[name] = JSON_RULES[(table.name, name)](raw, row[name], ids)
        if "html" in table.c:
            row["html"] = render_markdown(row.get("body") or "")
        if "id" in row and table.c.id.primary_key:
            if table.name == "project":
                row["id"] = ids.map("project", row["id"])
            elif not ids.has(table.name, row["id"]):
                raise RowProblem("its id is not one the archive lists")
            else:
                row["id"] = ids.map(table.name, row["id"])
        return row

    def _typed(self, kind: Any, value: Any, id_name: str) -> int | None:
        """A typed reference: must name a row of the archive (audit events may name records
        that were deleted, or accounts: those become empty)."""
        if self.table.name == "audit_event":
            target = self.ids.table_kinds.get(kind or "")
            if value is None or target is None:
                return None
            return self.ids.maybe(target, value)
        if kind is None and value is None:
            return None  # an empty reference (a submission that made no record yet)
        target = self.ids.record_kinds.get(kind or "")
        if target is None and self.table.name == "openrosa_submission" and kind != "user":
            # A submission names the record it made by its table (a contact log is no kind of
            # linkable record); the id must still be a row of the archive.
            target = self.ids.table_kinds.get(kind or "")
        if target is None:
            raise RowProblem(f"{id_name[:-3]}_type {str(kind)[:40]!r} is not a kind of record")
        return self.ids.ref(target, value, id_name)
