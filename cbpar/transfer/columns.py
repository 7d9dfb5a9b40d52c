"""Which file column feeds which record field: suggestions for KoBo/ODK/Excel headers, parsing.

KoBoToolbox writes group headers as `group/question` in XML-values exports, and question
labels ("Left-behind children", "Children 6-17", "村庄") in label exports; geopoints as
`_gps_latitude` and `_gps_longitude` (or one `gps` column "lat lon alt acc"); the submission
id is `_uuid` (`_id` is only the server's row number). ODK Central writes `group-question`,
`gps-Latitude`, `gps-Longitude` and the submission id as `meta-instanceID`.

A header is matched as a whole first (a hyphen or space is then a word separator, so
"Left-behind children" is `left_behind_children`), then by its last `/` segment (KoBo
group), then by its last `-` segment (ODK group): every header is tried whole by every field
before any header is tried by a segment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

HOUSEHOLD_IMPORT_FIELDS = {
    "code": _l("Household code (e.g. SH-017)"),
    "field_ref": _l("Field team's own household number"),
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

# Header names per field, normalised by `_normal` (lower case, spaces/hyphens/dots -> "_").
# Our own code is "code" only: a team's "hh_code"/"户编号" is its own numbering (field_ref).
# The submission id prefers `_uuid`, then `meta/instanceID`; KoBo's numeric `_id` is a server
# row number and is never suggested.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("code", "cbpar_code", "pseudonymous_code"),
    "field_ref": (
        "field_ref",
        "hh_code",
        "household_code",
        "household_id",
        "hh_id",
        "hh_no",
        "household_number",
        "household_no",
        "编号",
        "户编号",
        "户号",
        "农户编号",
        "家庭编号",
        "问卷编号",
    ),
    "source_id": (
        "_uuid",
        "uuid",
        "instanceid",
        "meta_instanceid",
        "key",
        "submission_id",
        "source_id",
    ),
    "village": (
        "village",
        "village_name",
        "village_code",
        "name_of_village",
        "村",
        "村庄",
        "村名",
        "所在村",
        "村庄名称",
        "行政村",
        "自然村",
    ),
    "lat": ("lat", "latitude", "y", "纬度", "gps_latitude"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度", "gps_longitude"),
    "members": (
        "members",
        "household_size",
        "hh_size",
        "size",
        "household_members",
        "members_of_the_household",
        "number_of_members",
        "人口",
        "家庭人口",
        "家庭人口数",
        "人数",
        "家庭成员数",
    ),
    "children_under_6": (
        "children_under_6",
        "under_6",
        "under6",
        "children_0_5",
        "children_0_6",
        "6岁以下",
        "6岁以下儿童",
        "6岁以下儿童数",
        "学龄前儿童",
    ),
    "children_6_17": (
        "children_6_17",
        "children_6_to_17",
        "age_6_17",
        "children_aged_6_17",
        "6至17岁",
        "6_17岁",
        "6至17岁儿童",
        "6_17岁儿童",
    ),
    "left_behind_children": (
        "left_behind_children",
        "left_behind",
        "number_of_left_behind_children",
        "留守儿童",
        "留守儿童数",
        "留守儿童人数",
    ),
    "migrant_parents": (
        "migrant_parents",
        "parents_away",
        "migrant",
        "parents_working_away",
        "外出务工",
        "外出务工父母",
        "父母外出务工",
        "外出务工情况",
    ),
    "caregiver": ("caregiver", "main_caregiver", "照料人", "主要照料人", "监护人"),
    "visited_on": (
        "visited_on",
        "visit_date",
        "date_of_visit",
        "today",
        "date",
        "走访日期",
        "调查日期",
        "日期",
    ),
    "consent_on": ("consent_on", "consent_date", "date_of_consent", "同意日期"),
    "consent_given_by": ("consent_given_by", "consent_by", "同意人", "知情同意人"),
    "notes": ("notes", "note", "remarks", "comments", "备注", "说明"),
    "name": ("name", "facility_name", "名称", "设施名称"),
    "kind": ("kind", "type", "facility_type", "category", "类型", "设施类型"),
    "status": ("status", "状态"),
    "capacity": ("capacity", "容量"),
    "opened_on": ("opened_on", "opened", "open_date", "date_opened", "开办日期"),
}
GEOPOINT_NAMES = {
    "gps",
    "geopoint",
    "location",
    "_geolocation",
    "geolocation",
    "coordinates",
    "位置",
    "定位",
    "gps定位",
    "gps坐标",
}
_SEPARATORS = re.compile(r"[\s.\-]+")
_BRACKETED = re.compile(r"[(（\[][^)）\]]*[)）\]]")
_TRAILING = re.compile(r"[:：?？]+$")
SAMPLES = 3  # sample values shown beside each column


def _normal(text: str) -> str:
    """Lower case, full-width folded, bracketed notes ("纬度（度）") and trailing ":"/"?" off,
    spaces, hyphens and dots as "_"."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = _TRAILING.sub("", _BRACKETED.sub("", text).strip())
    return _SEPARATORS.sub("_", text)


def _forms(column: str) -> list[str]:
    """The whole header, then its last KoBo group segment, then its last ODK group segment."""
    text = unicodedata.normalize("NFKC", column).strip()
    forms = [_normal(text)]
    tail = text.rsplit("/", 1)[-1]
    if tail != text:
        forms.append(_normal(tail))
    if "-" in tail:
        forms.append(_normal(tail.rsplit("-", 1)[-1]))
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
    for field in ("lat", "lon"):
        for column in columns:
            if _coordinate_field(column) == field and column not in taken:
                mapping[field] = column
                taken.add(column)
                break
    forms = {column: _forms(column) for column in columns}
    # Level 0: whole headers; then KoBo and ODK group segments. Within a level, a field takes
    # the column whose header is its most preferred synonym.
    for level in range(3):
        for field in mapping:
            if mapping[field]:
                continue
            names = SYNONYMS.get(field, (field,))
            best: tuple[int, str] | None = None
            for column in columns:
                options = forms[column]
                if column in taken or level >= len(options) or options[level] not in names:
                    continue
                rank = names.index(options[level])
                if best is None or rank < best[0]:
                    best = (rank, column)
            if best is not None:
                mapping[field] = best[1]
                taken.add(best[1])
    if not mapping["lat"] and not mapping["lon"]:
        for column in columns:
            if column not in taken and any(f in GEOPOINT_NAMES for f in forms[column]):
                mapping["lat"] = mapping["lon"] = column  # one "lat lon alt acc" column
                break
    return mapping


def describe_columns(
    kind: str, mapping: dict[str, str], columns: list[str], rows: Iterable[Any]
) -> list[dict[str, Any]]:
    """Every file column with the field(s) it feeds (none: not imported) and a few sample
    values (the first non-empty distinct ones): nothing is dropped without being shown."""
    labels = FIELDS[kind]
    fields_of: dict[str, list[str]] = {}
    for field, column in mapping.items():
        if column:
            fields_of.setdefault(column, []).append(field)
    samples: list[list[str]] = [[] for _ in columns]
    wanted = len(columns)
    for _line, cells in rows:
        if wanted == 0:
            break
        for i, value in enumerate(cells[: len(columns)]):
            value = " ".join(str(value).split())
            if value and len(samples[i]) < SAMPLES and value not in samples[i]:
                samples[i].append(value[:60])
                if len(samples[i]) == SAMPLES:
                    wanted -= 1
    return [
        {
            "column": column,
            "fields": fields_of.get(column, []),
            "labels": [str(labels[f]) for f in fields_of.get(column, [])],
            "samples": samples[i],
        }
        for i, column in enumerate(columns)
    ]


def unmapped_columns(mapping: dict[str, str], columns: Iterable[str]) -> list[str]:
    used = {c for c in mapping.values() if c}
    return [c for c in columns if c not in used]


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
