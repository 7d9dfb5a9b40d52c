"""Who may see which household figure, in one place: audiences, small numbers, points, radii.

Every page, JSON answer, CSV, report and public link that shows something about households
asks this module how to shape it for its audience:

- **field** (members with `see_household_details`): everything, as recorded.
- **committee** (`see_household_points` without details): each household's point, but no
  code, no id and no family details, with coordinates rounded to 4 decimals (about 10 m).
- **public** (observers, and anyone holding a public link): village-level aggregates only.
  A count from 1 to 4 is shown as "fewer than 5" (`SUPPRESSED`); where a table's total is
  shown too (villages, distance bands), one more figure is withheld (`WITHHELD`) so the
  small one cannot be worked out by subtraction. Zero stays 0: it points at no one.
  Distances under 1 km are refused, so a what-if circle cannot be drawn around one house.

What this does not stop: comparing answers to different questions (two nearby candidate
sites, two distances, two dates) still tells how many households lie in the difference,
though never where within it. Only noise or rounding of every public figure would close that.

A hidden figure is a `Hidden` string: JSON and CSV carry its token (`"<5"` or `"hidden"`),
pages render its translated words through `__html__` ("fewer than 5" / "not shown").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
from flask import g, has_app_context
from flask_babel import gettext as _
from markupsafe import escape

from cbpar.security import Cap, membership_can

SMALL_NUMBER_LIMIT = 5  # counts 1 .. SMALL_NUMBER_LIMIT - 1 are never shown to the public
MIN_WHATIF_RADIUS_M = 1000  # the smallest distance the public may measure around a point
COMMITTEE_COORDINATE_DECIMALS = 4  # about 11 m of latitude: a cluster of roofs, not one door
FIELD_COORDINATE_DECIMALS = 5  # about 1 m, as recorded for the map


class Audience(StrEnum):
    FIELD = "field"
    COMMITTEE = "committee"
    PUBLIC = "public"

    @property
    def suppresses(self) -> bool:
        """Does this audience see small numbers suppressed?"""
        return self is Audience.PUBLIC


def audience_of(membership: Any) -> Audience:
    """The audience of a project member (None, as on a public link, is the public)."""
    if membership_can(membership, Cap.SEE_HOUSEHOLD_DETAILS):
        return Audience.FIELD
    if membership_can(membership, Cap.SEE_HOUSEHOLD_POINTS):
        return Audience.COMMITTEE
    return Audience.PUBLIC


def children_audience(audience: Audience) -> Audience:
    """Counts of children (services and care) as `audience` may see them. Only the field team
    ever sees a child, so for these counts committee members are the public too: 1 to 4 are
    suppressed for everyone without household details."""
    return Audience.FIELD if audience is Audience.FIELD else Audience.PUBLIC


def current_audience() -> Audience:
    """The audience of the current request's member; the public when there is none."""
    return audience_of(g.get("membership") if has_app_context() else None)


# --- small numbers ---------------------------------------------------------------------------


class Hidden(str):
    """A figure not shown: its token in JSON and CSV, its translated words in pages."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(escape(self.words()))

    def words(self) -> str:
        if self == SUPPRESSED_TOKEN:
            return _("fewer than 5")
        return _("not shown")


SUPPRESSED_TOKEN = "<5"
WITHHELD_TOKEN = "hidden"
SUPPRESSED = Hidden(SUPPRESSED_TOKEN)  # the count is 1 to 4
WITHHELD = Hidden(WITHHELD_TOKEN)  # a larger count, hidden so a small one cannot be derived


def is_small(count: Any) -> bool:
    return isinstance(count, int | Decimal) and 0 < count < SMALL_NUMBER_LIMIT


def suppress(count: Any, audience: Audience) -> Any:
    """`count` as `audience` may see it: 1 to 4 become SUPPRESSED for the public."""
    if audience.suppresses and is_small(count):
        return SUPPRESSED
    return count


def suppress_column(
    counts: Sequence[int], audience: Audience, keys: Sequence[Any] | None = None
) -> list[Any]:
    """Parts of a total that is shown elsewhere (villages of a project, distance bands)."""
    return suppress_linked(counts, [range(len(counts))], audience, keys)


def suppress_linked(
    counts: Sequence[int],
    groups: Sequence[Iterable[int]],
    audience: Audience,
    keys: Sequence[Any] | None = None,
) -> list[Any]:
    """Counts of which some groups (lists of positions) have a sum that is shown elsewhere.

    Small counts are SUPPRESSED. Then, while the shown figures still give one of them away
    (it is alone in a group, or the group's hidden counts add up to their least or greatest
    possible sum), the smallest count of 5 or more in that group is WITHHELD too. Ties are
    broken by `keys` (e.g. village names), so every table of the same parts hides the same
    cells.
    """
    if not audience.suppresses:
        return list(counts)
    sets = [set(group) for group in groups]
    small = {i for i, c in enumerate(counts) if is_small(c)}
    hidden = set(small)
    ordering = keys if keys is not None else range(len(counts))
    while (cell := _given_away(counts, sets, small, hidden)) is not None:
        large = [
            i
            for group in sets
            if cell in group
            for i in group
            if i not in hidden and counts[i] >= SMALL_NUMBER_LIMIT
        ]
        if not large:
            break  # the group's own total is small, so it is suppressed where it is shown
        hidden.add(min(large, key=lambda i: (counts[i], str(ordering[i]), i)))
    return [
        SUPPRESSED if i in small else WITHHELD if i in hidden else c for i, c in enumerate(counts)
    ]


def _given_away(
    counts: Sequence[int], groups: list[set[int]], small: set[int], hidden: set[int]
) -> int | None:
    """A suppressed count that the group sums and the shown counts would reveal, or None."""
    limit = SMALL_NUMBER_LIMIT
    for group in groups:
        cells = sorted(group & hidden)
        if not cells or not small & set(cells):
            continue
        total = sum(counts[i] for i in cells)
        least = sum(1 if i in small else limit for i in cells)
        most = (limit - 1) * len(cells) if set(cells) <= small else None
        if total in (least, most):
            return min(small & set(cells))
    unknowns = sorted(hidden)
    if not unknowns:
        return None
    matrix = np.array([[1.0 if i in g else 0.0 for i in unknowns] for g in groups])
    rank = np.linalg.matrix_rank(matrix)
    for column, i in enumerate(unknowns):
        if i in small:
            alone = np.zeros((1, len(unknowns)))
            alone[0, column] = 1.0
            if np.linalg.matrix_rank(np.vstack([matrix, alone])) == rank:
                return i  # the group sums fix this count exactly
    return None


def suppress_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Iterable[str],
    audience: Audience,
    key: str | None = None,
) -> list[dict[str, Any]]:
    """Rows (e.g. one per village) with each named column treated by `suppress_column`."""
    result = [dict(row) for row in rows]
    if not audience.suppresses:
        return result
    keys = [_key_text(row.get(key)) for row in rows] if key else None
    for column in columns:
        values = suppress_column([int(row[column]) for row in rows], audience, keys)
        for row, value in zip(result, values, strict=True):
            row[column] = value
    return result


def _key_text(value: Any) -> str:
    return str(getattr(value, "name", value) if value is not None else "")


def number(value: Any) -> Any:
    """A figure for arithmetic in a template (bar widths, circle sizes): hidden counts as 0."""
    return 0 if isinstance(value, Hidden) else value


def text(value: Any) -> str:
    """A figure as words for plain text (Markdown): the translated words for hidden ones."""
    return value.words() if isinstance(value, Hidden) else str(value)


# --- distances ---------------------------------------------------------------------------------


def min_whatif_radius_m(audience: Audience) -> int:
    return MIN_WHATIF_RADIUS_M if audience.suppresses else 0


def radius_error(within_km: float, audience: Audience) -> str | None:
    """Why `audience` may not measure within this distance, or None if it may."""
    minimum = min_whatif_radius_m(audience)
    if within_km * 1000 < minimum:
        return _(
            "Your role sees village totals only: the distance must be at least %(km)s km.",
            km=f"{minimum / 1000:g}",
        )
    return None


# --- the accessibility answer ----------------------------------------------------------------

_COUNTS = ("households", "children_under_6", "left_behind_children")
_BEYOND = tuple(f"{c}_beyond" for c in _COUNTS)
_NEWLY = tuple(f"{c}_newly_within" for c in _COUNTS)


def shape_accessibility(result: Mapping[str, Any], audience: Audience) -> dict[str, Any]:
    """An accessibility answer (live or saved) as `audience` may see it."""
    shaped = dict(result)
    if not audience.suppresses:
        return shaped
    shaped["small_numbers_suppressed"] = True
    for name in (*_COUNTS, *_BEYOND):
        if name in shaped:
            shaped[name] = suppress(shaped[name], audience)
    shaped["by_village"] = suppress_rows(
        result.get("by_village", []), (*_COUNTS, *_BEYOND), audience, key="village"
    )
    bands = [dict(b) for b in result.get("histogram", [])]
    within_km = float(result.get("within_km", 0))
    near = [i for i, b in enumerate(bands) if b["to_km"] is not None and b["to_km"] <= within_km]
    far = [i for i, b in enumerate(bands) if b["from_km"] >= within_km]
    groups = [range(len(bands))]
    if len(near) + len(far) == len(bands):  # the distance is a band edge: both sides are shown
        groups += [near, far]
    counts = suppress_linked([int(b["households"]) for b in bands], groups, audience)
    for band, value in zip(bands, counts, strict=True):
        band["households"] = value
    shaped["histogram"] = bands
    if float(result.get("within_km", 0)) * 1000 < min_whatif_radius_m(audience):
        # A saved analysis made by the field team with a small radius: no what-if figures.
        shaped["candidates"] = []
        shaped["candidates_withheld"] = bool(result.get("candidates"))
    else:
        shaped["candidates"] = [
            {k: suppress(v, audience) if k in _NEWLY else v for k, v in c.items()}
            for c in result.get("candidates", [])
        ]
    return shaped


# --- households as points --------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdShape:
    """What a household point carries for an audience."""

    points: bool  # any point at all
    ids: bool  # the record's id (links to its page)
    codes: bool  # the pseudonymous code
    details: bool  # counts and family situation
    decimals: int  # coordinate precision
    field_refs: bool = False  # the field team's own household number: identifies, like a code


def household_shape(audience: Audience) -> HouseholdShape:
    if audience is Audience.FIELD:
        return HouseholdShape(True, True, True, True, FIELD_COORDINATE_DECIMALS, field_refs=True)
    if audience is Audience.COMMITTEE:
        return HouseholdShape(True, False, False, False, COMMITTEE_COORDINATE_DECIMALS)
    return HouseholdShape(False, False, False, False, 0)


@dataclass(frozen=True)
class DeviceCache:
    """What the offline field app may keep on a member's phone: only what the role may see.

    Villages and facilities are shown to every member; households (codes and exact points)
    only to roles that see household details, children only to roles that see children."""

    households: bool
    children: bool


def device_cache(membership: Any) -> DeviceCache:
    return DeviceCache(
        households=household_shape(audience_of(membership)).details,
        children=membership_can(membership, Cap.SEE_CHILDREN),
    )


def point_row(village: str, lat: float, lon: float, audience: Audience) -> tuple[Any, ...]:
    """A committee member's CSV row: village and a rounded point (exact decimals, not floats)."""
    places = household_shape(audience).decimals
    quantum = Decimal(1).scaleb(-places)
    return (
        village,
        Decimal(repr(float(lat))).quantize(quantum),
        Decimal(repr(float(lon))).quantize(quantum),
    )


# --- templates -------------------------------------------------------------------------------


def suppressed_filter(value: Any) -> Any:
    """Jinja: `{{ count|suppressed }}` shows a count as the current member may see it."""
    return suppress(value, current_audience())


# --- people's names -----------------------------------------------------------------------------
#
# Project members' names and private donors' names reach only members who see the member list
# (`view_members`); everyone else, and every public page, reads "A project member" or
# "Individual donor". Organisations (foundations, companies, ...) are named for everyone.


def sees_people(membership: Any) -> bool:
    """May this member see other people's names (members, leads, private donors)?"""
    return membership_can(membership, Cap.VIEW_MEMBERS)


def donor_name(funder: Any, membership: Any = None, public: bool = False) -> str:
    """A funder's name as this member (or, with `public`, anyone) may see it.

    `funder` has `name` and `is_person`; without a membership, the request's is used.
    """
    if not funder.is_person:
        return funder.name
    if membership is None and not public and has_app_context():
        membership = g.get("membership")
    if not public and sees_people(membership):
        return funder.name
    return _("Individual donor")


def init_app(app: Any) -> None:
    app.jinja_env.filters["donor_name"] = donor_name
    app.jinja_env.globals["sees_people"] = lambda: sees_people(g.get("membership"))
    app.jinja_env.filters["suppressed"] = suppressed_filter
    app.jinja_env.filters["figure_number"] = number
    app.jinja_env.globals["small_numbers_suppressed"] = lambda: current_audience().suppresses
