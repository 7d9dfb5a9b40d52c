"""The results page's tables, built here so the template only shows them: the place-by-method
comparison, the score bars, the pairwise matrices and which needs are ticked to confirm."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

CONFIRM_TOP_PLACES = 2  # the needs in the first two places are ticked to confirm


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
    # place -> one entry per method (in the order given) -> the options tied at that place
    places: list[list[list[Hashable]]]
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
    by_method = [result["by_method"][m.value] for m in methods]
    depth = max((len(ranking) for ranking in by_method), default=0)
    places = [
        [ranking[i] if i < len(ranking) else [] for ranking in by_method] for i in range(depth)
    ]
    options = result["options"]
    details = result["all_details"]
    return ResultsTables(
        places=places,
        borda=_bars(options, details["borda"]["scores"], 1),
        approval=_bars(options, details["approval"]["counts"], None),
        pairwise=_matrix(options, details["schulze"]["pairwise"]),
        strongest_paths=_matrix(options, details["schulze"]["strongest_paths"]),
        preselected={o for tier in result["ranking"][:CONFIRM_TOP_PLACES] for o in tier},
    )
