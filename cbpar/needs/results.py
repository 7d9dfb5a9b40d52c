"""The results page's tables, built here so the template only shows them: the outcome in one
sentence, the place-by-method comparison, the score bars, the pairwise matrices and which needs
are ticked to confirm; and the same places as CSV.

Places follow one convention everywhere (pages, CSV): tied needs share a place and the next
place skips, as in sport: 1, 1, 3.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_pgettext, pgettext

from cbpar import csvout

CONFIRM_TOP_PLACES = 2  # the needs in the first two places are ticked to confirm

# Method names as a sentence uses them ("Schulze; Borda puts X first").
SHORT_NAMES = {
    "borda": lazy_pgettext("method", "Borda"),
    "schulze": lazy_pgettext("method", "Schulze"),
    "irv": lazy_pgettext("method", "instant-runoff"),
    "approval": lazy_pgettext("method", "approval"),
}


def places(ranking: Sequence[Sequence[Hashable]]) -> list[tuple[int, list[Hashable]]]:
    """(place, tier) for each tier, best first: tied options share a place, the next skips."""
    out: list[tuple[int, list[Hashable]]] = []
    place = 1
    for tier in ranking:
        out.append((place, list(tier)))
        place += len(tier)
    return out


def place_of(ranking: Sequence[Sequence[Hashable]]) -> dict[Hashable, int]:
    """Each option's place (1 + how many options are strictly ahead of it)."""
    return {option: place for place, tier in places(ranking) for option in tier}


@dataclass(frozen=True)
class Bar:
    option: Hashable
    value: Any
    width: float  # percent of the largest value (at least 1)


@dataclass(frozen=True)
class Cell:
    value: Any | None  # None on the diagonal (a need against itself)
    win: bool  # larger than the mirror cell: the row's need beats the column's


@dataclass(frozen=True)
class MatrixRow:
    option: Hashable
    cells: list[Cell]


@dataclass(frozen=True)
class ResultsTables:
    # (place, one entry per method in the order given -> the options at that place); a place
    # no method uses (skipped after a tie everywhere) has no row
    places: list[tuple[int, list[list[Hashable]]]]
    official: list[tuple[int, list[Hashable]]]  # the official ranking with its places
    borda: list[Bar]
    approval: list[Bar]
    pairwise: list[MatrixRow]
    strongest_paths: list[MatrixRow]
    preselected: set[Hashable]


def _bars(options: Sequence[Hashable], values: Sequence[Any], rounding: int | None) -> list[Bar]:
    top = max(max(values), 1)
    return [
        Bar(o, v if rounding is None else round(v, rounding), round(100 * v / top, 1))
        for o, v in zip(options, values, strict=True)
    ]


def _matrix(options: Sequence[Hashable], matrix: Sequence[Sequence[Any]]) -> list[MatrixRow]:
    return [
        MatrixRow(
            options[i],
            [
                Cell(None, False) if i == j else Cell(value, value > matrix[j][i])
                for j, value in enumerate(row)
            ],
        )
        for i, row in enumerate(matrix)
    ]


def results_tables(result: dict[str, Any], methods: Iterable[Any]) -> ResultsTables:
    """From a round's stored count (`vote_rounds.result_of`) and the methods to compare."""
    by_method = [dict(places(result["by_method"][m.value])) for m in methods]
    rows = [
        (place, [column.get(place, []) for column in by_method])
        for place in range(1, len(result["options"]) + 1)
    ]
    options = result["options"]
    details = result["all_details"]
    return ResultsTables(
        places=[(place, row) for place, row in rows if any(row)],
        official=places(result["ranking"]),
        borda=_bars(options, details["borda"]["scores"], 1),
        approval=_bars(options, details["approval"]["counts"], None),
        pairwise=_matrix(options, details["schulze"]["pairwise"]),
        strongest_paths=_matrix(options, details["schulze"]["strongest_paths"]),
        preselected={o for tier in result["ranking"][:CONFIRM_TOP_PLACES] for o in tier},
    )


def _names(ids: Sequence[Hashable], titles: Mapping[Hashable, str]) -> str:
    """ "A", "A and B", "A, B and C" (in the reader's language)."""
    names = [titles[i] for i in ids]
    if len(names) < 2:
        return "".join(names)
    return _(
        "%(items)s and %(last)s",
        items=pgettext("list separator", ", ").join(names[:-1]),
        last=names[-1],
    )


def outcome(result: dict[str, Any], titles: Mapping[Hashable, str]) -> str:
    """The result in one plain sentence: the official winner, and whether the other methods
    agree ("Most pressing: A (Schulze; Borda puts B first)")."""
    if not result.get("ballots_cast") or not result["ranking"]:
        return _("No ballots were counted, so no need came first.")
    official = result["method"]
    top = result["ranking"][0]
    needs = _names(top, titles)
    if len(top) > 1:
        needs = _("%(needs)s, tied", needs=needs)
    others = [
        _(
            "%(method)s puts %(needs)s first",
            method=SHORT_NAMES[method],
            needs=_names(ranking[0], titles),
        )
        for method, ranking in result["by_method"].items()
        if method != official and ranking and set(ranking[0]) != set(top)
    ]
    if not others:
        return _(
            "Most pressing: %(needs)s (%(method)s; the other methods agree).",
            needs=needs,
            method=SHORT_NAMES[official],
        )
    return _(
        "Most pressing: %(needs)s (%(method)s; %(others)s).",
        needs=needs,
        method=SHORT_NAMES[official],
        others=pgettext("clause separator", "; ").join(others),
    )


def results_csv(
    result: dict[str, Any], letters: Mapping[Hashable, str], titles: Mapping[Hashable, str]
) -> str:
    """One row per need: its place by every method (the same convention as the page: 1, 1, 3),
    its Borda score and approval count, in the order of the official ranking."""
    methods = list(result["by_method"])
    place = {method: place_of(result["by_method"][method]) for method in methods}
    details = result["all_details"]
    index = {option: i for i, option in enumerate(result["options"])}
    out = csvout.writer()
    out.row(
        ["option", "need_id", "title", "official_place"]
        + [f"place_{method}" for method in methods]
        + ["borda_score", "approval_count"]
    )
    official = place_of(result["ranking"])
    for option in sorted(result["options"], key=lambda o: (official.get(o, 0), index[o])):
        i = index[option]
        out.row(
            [letters[option], option, titles[option], official.get(option)]
            + [place[method].get(option) for method in methods]
            + [details["borda"]["scores"][i], details["approval"]["counts"][i]]
        )
    return out.getvalue()
