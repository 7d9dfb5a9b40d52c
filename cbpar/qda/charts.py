"""The analysis page's tables and its chart: codes that overlap (co-occurrence), and counts of
passages by village, by interview kind and by kind of source, over sources the member sees.
The chart is an SVG drawn on the server (stacked bars), so it works without JavaScript and
prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from cbpar.interviews.models import InterviewKind
from cbpar.qda import retrieval, services
from cbpar.qda.models import SourceKind

PALETTE = ("#4a90d9", "#e4572e", "#59a14f", "#b07aa1", "#f1c232", "#76b7b2", "#9c755f")
CHART_WIDTH = 640
LABEL_WIDTH = 180
BAR_HEIGHT = 22
ROW_HEIGHT = 30


@dataclass
class Column:
    key: str
    label: str
    color: str = ""


@dataclass
class Segment:
    x: float
    width: float
    color: str
    title: str


@dataclass
class ChartRow:
    label: str
    y: int
    total: int
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    rows: list[ChartRow]
    columns: list[Column]
    height: int
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH


def _chart(codes: list[Any], columns: list[Column], table: dict[tuple[int, str], int]) -> Chart:
    totals = {
        row.code.id: sum(table.get((row.code.id, c.key), 0) for c in columns) for row in codes
    }
    peak = max(totals.values(), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 40
    rows = []
    for index, row in enumerate(r for r in codes if totals[r.code.id]):
        x = float(LABEL_WIDTH)
        chart_row = ChartRow(row.code.name, index * ROW_HEIGHT, totals[row.code.id])
        for column in columns:
            value = table.get((row.code.id, column.key), 0)
            if value:
                width = value / peak * span
                chart_row.segments.append(
                    Segment(round(x, 1), round(width, 1), column.color, f"{column.label}: {value}")
                )
                x += width
        rows.append(chart_row)
    return Chart(rows, columns, max(len(rows), 1) * ROW_HEIGHT + 4)


def _columns(keys: list[tuple[str, str]]) -> list[Column]:
    return [Column(key, label, PALETTE[i % len(PALETTE)]) for i, (key, label) in enumerate(keys)]


def analysis_tables(project: Any, membership: Any) -> dict[str, Any]:
    rows = retrieval.visible_codings(project, membership)  # read once for every table
    codes = services.tree(project, membership, retrieval.code_counts(rows))
    pairs = retrieval.co_occurrence(project, membership, rows)
    counted = retrieval.tallies(rows)
    matrix = [[pairs.get(tuple(sorted((a.code.id, b.code.id))), 0) for b in codes] for a in codes]
    villages = {str(v.id): v.name for v in retrieval.villages(project)}
    by_village = counted["village"]
    village_columns = _columns(
        [(key, name) for key, name in villages.items()] + [("", _("No village"))]
    )
    by_interview = counted["interview_kind"]
    interview_columns = _columns([(k.value, str(k.label)) for k in InterviewKind])
    by_kind = counted["kind"]
    kind_columns = _columns([(k.value, str(k.label)) for k in SourceKind])
    return {
        "codes": codes,
        "matrix": matrix,
        "village_columns": village_columns,
        "by_village": by_village,
        "village_chart": _chart(codes, village_columns, by_village),
        "interview_columns": interview_columns,
        "by_interview": by_interview,
        "kind_columns": kind_columns,
        "by_kind": by_kind,
        "kind_chart": _chart(codes, kind_columns, by_kind),
    }
