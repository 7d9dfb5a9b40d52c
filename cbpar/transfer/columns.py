"""Which file column feeds which record field: suggestions for KoBo/ODK/Excel headers, parsing.

KoBoToolbox writes group headers as `group/question` and geopoints as `_gps_latitude` and
`_gps_longitude` (or one `gps` column "lat lon alt acc"); ODK Central writes `group-question`,
`gps-Latitude`, `gps-Longitude` and the submission id as `meta-instanceID`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

HOUSEHOLD_IMPORT_FIELDS = {
    "code": _l("Household code (e.g. SH-017)"),
    "source_id": _l("Submission id (KoBo/ODK)"),
    "village": _l("Village (name or code)"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "members": _l("Members of the household"),
    "children_under_6": _l("Children under 6"),
    "children_6_17": _l("Children 6 to 17"),
    "left_behind_children": _l("Left-behind children"),
    "migrant_parents": _l("Parents working away"),
    "caregiver": _l("Main caregiver of the children"),
    "visited_on": _l("Date of visit"),
    "consent_on": _l("Consent to be recorded, date"),
    "consent_given_by": _l("Consent given by"),
    "notes": _l("Notes (sensitive)"),
}
FACILITY_IMPORT_FIELDS = {
    "name": _l("Name"),
    "kind": _l("Kind"),
    "status": _l("Status"),
    "village": _l("Village (name or code)"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "capacity": _l("Capacity"),
    "opened_on": _l("Date opened"),
    "notes": _l("Notes"),
}
FIELDS = {"households": HOUSEHOLD_IMPORT_FIELDS, "facilities": FACILITY_IMPORT_FIELDS}
REQUIRED = {"households": ("village", "lat", "lon"), "facilities": ("name", "kind", "lat", "lon")}

SYNONYMS: dict[str, set[str]] = {
    "code": {"code", "household_code", "hh_code", "household_id", "hh_id", "编号", "户编号"},
    "source_id": {"source_id", "instanceid", "_uuid", "uuid", "key", "submission_id", "_id"},
    "village": {"village", "village_name", "village_code", "村", "村庄", "村名", "所在村"},
    "lat": {"lat", "latitude", "y", "纬度"},
    "lon": {"lon", "lng", "long", "longitude", "x", "经度"},
    "members": {"members", "household_size", "hh_size", "size", "人口", "家庭人口", "人数"},
    "children_under_6": {"children_under_6", "under_6", "under6", "children_0_5", "6岁以下"},
    "children_6_17": {"children_6_17", "children_6_to_17", "age_6_17", "6至17岁"},
    "left_behind_children": {"left_behind_children", "left_behind", "留守儿童", "留守儿童数"},
    "migrant_parents": {"migrant_parents", "parents_away", "migrant", "外出务工"},
    "caregiver": {"caregiver", "main_caregiver", "照料人", "主要照料人"},
    "visited_on": {"visited_on", "visit_date", "date_of_visit", "today", "走访日期"},
    "consent_on": {"consent_on", "consent_date", "同意日期"},
    "consent_given_by": {"consent_given_by", "consent_by", "同意人"},
    "notes": {"notes", "note", "remarks", "comments", "备注"},
    "name": {"name", "facility_name", "名称", "设施名称"},
    "kind": {"kind", "type", "facility_type", "category", "类型"},
    "status": {"status", "状态"},
    "capacity": {"capacity", "容量"},
    "opened_on": {"opened_on", "opened", "open_date", "date_opened", "开办日期"},
}
GEOPOINT_NAMES = {"gps", "geopoint", "location", "_geolocation", "geolocation", "coordinates"}
_SPACES = re.compile(r"[\s.]+")


def _forms(column: str) -> list[str]:
    """The header, then its last KoBo group segment, then its last ODK group segment."""
    text = _SPACES.sub("_", column.strip().lower())
    forms = [text]
    tail = text.rsplit("/", 1)[-1]
    forms.append(tail)
    forms.append(tail.rsplit("-", 1)[-1])
    return forms


def _coordinate_field(column: str) -> str | None:
    text = column.strip().lower()
    if text.endswith(("_latitude", "-latitude", "/latitude")):
        return "lat"
    if text.endswith(("_longitude", "-longitude", "/longitude")):
        return "lon"
    return None


def suggest(kind: str, columns: Iterable[str]) -> dict[str, str]:
    """A first guess at the mapping, field -> column ("" where nothing fits)."""
    columns = list(columns)
    mapping = {field: "" for field in FIELDS[kind]}
    taken: set[str] = set()
    for field in mapping:
        if field in ("lat", "lon"):
            for column in columns:
                if _coordinate_field(column) == field and column not in taken:
                    mapping[field] = column
                    break
        if mapping[field]:
            taken.add(mapping[field])
            continue
        names = SYNONYMS.get(field, {field})
        for column in columns:
            if column not in taken and any(f in names for f in _forms(column)):
                mapping[field] = column
                taken.add(column)
                break
    if not mapping["lat"] and not mapping["lon"]:
        for column in columns:
            if any(f in GEOPOINT_NAMES for f in _forms(column)):
                mapping["lat"] = mapping["lon"] = column  # one "lat lon alt acc" column
                break
    return mapping


def parse_map_option(text: str, kind: str) -> dict[str, str]:
    """`field=column,field=column` as given to the CLI's --map."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        field, sep, column = part.partition("=")
        field = field.strip()
        if not sep or field not in FIELDS[kind]:
            raise ValueError(f"--map: {part!r} is not field=column with a known field")
        mapping[field] = column.strip()
    return mapping


def missing_columns(mapping: dict[str, str], columns: Iterable[str]) -> list[str]:
    present = set(columns)
    return [c for c in mapping.values() if c and c not in present]
