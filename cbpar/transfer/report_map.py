"""The report's map as SVG: villages and facilities drawn to scale, labels that never overlap
one another or leave the picture (nudged aside, tied to their place by a leader line)."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from cbpar import privacy
from cbpar.mapping.models import FacilityKind

KIND_COLOURS = {
    FacilityKind.KINDERGARTEN: "#c0392b",
    FacilityKind.PRIMARY_SCHOOL: "#2471a3",
    FacilityKind.CLINIC: "#1e8449",
}
PAD = 40
MIN_HEIGHT = 260
MARGIN = 2  # between a label and the edge of the picture or another label


@dataclass
class Box:
    x: float
    y: float  # top
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return not (
            self.x + self.w + MARGIN <= other.x
            or other.x + other.w + MARGIN <= self.x
            or self.y + self.h + MARGIN <= other.y
            or other.y + other.h + MARGIN <= self.y
        )

    def inside(self, width: float, height: float) -> bool:
        return (
            self.x >= MARGIN
            and self.y >= MARGIN
            and self.x + self.w <= width - MARGIN
            and self.y + self.h <= height - MARGIN
        )


@dataclass
class Label:
    """A text to set near a point (`ax`, `ay`) that reaches `reach` px around it."""

    text: str
    ax: float
    ay: float
    size: float
    reach: float = 6.0
    box: Box | None = None
    leader: bool = False


def text_width(text: str, size: float) -> float:
    """A generous estimate of the rendered width: wide (CJK) characters take a full em."""
    em = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.62 for c in text)
    return em * size


def _candidates(label: Label, w: float, h: float) -> list[tuple[Box, bool]]:
    """Places to try, nearest first: right, left, above, below, then stepping away (with a
    leader line back to the point)."""
    ax, ay, r = label.ax, label.ay, label.reach
    near = [
        Box(ax + r + 3, ay - h / 2, w, h),
        Box(ax - r - 3 - w, ay - h / 2, w, h),
        Box(ax - w / 2, ay - r - 3 - h, w, h),
        Box(ax - w / 2, ay + r + 3, w, h),
    ]
    result = [(box, False) for box in near]
    for step in range(1, 9):
        dy = step * (h + MARGIN + 1)
        for sign in (-1, 1):
            y = ay - h / 2 + sign * dy
            result.append((Box(ax + r + 3, y, w, h), True))
            result.append((Box(ax - r - 3 - w, y, w, h), True))
            result.append((Box(ax - w / 2, y, w, h), True))
    return result


def _clamp(box: Box, width: float, height: float) -> Box:
    x = min(max(box.x, MARGIN), max(MARGIN, width - MARGIN - box.w))
    y = min(max(box.y, MARGIN), max(MARGIN, height - MARGIN - box.h))
    return Box(x, y, box.w, box.h)


def place_labels(
    labels: list[Label], width: float, height: float, obstacles: list[Box] | None = None
) -> list[Label]:
    """Give each label, in order (the first ones get the best places), a box inside the
    picture that overlaps no label placed before it and no obstacle (facility markers)."""
    placed: list[Box] = []
    blocked = list(obstacles or [])
    for label in labels:
        w, h = text_width(label.text, label.size), label.size * 1.25
        chosen = None
        for box, leader in _candidates(label, w, h):
            box = _clamp(box, width, height)
            if not any(box.overlaps(b) for b in placed) and not any(
                box.overlaps(b) for b in blocked
            ):
                chosen, label.leader = box, leader
                break
        if chosen is None:  # crowded: the first free place anywhere, scanning down the picture
            chosen = _first_free(w, h, width, height, placed)
            label.leader = True
        label.box = chosen
        placed.append(chosen)
    return labels


def _first_free(w: float, h: float, width: float, height: float, placed: list[Box]) -> Box:
    y = MARGIN
    while y + h <= height - MARGIN:
        x = MARGIN
        while x + w <= width - MARGIN:
            box = Box(x, y, w, h)
            if not any(box.overlaps(b) for b in placed):
                return box
            x += 8
        y += 4
    return _clamp(Box(MARGIN, MARGIN, w, h), width, height)


def _leader(label: Label) -> str:
    box = label.box
    assert box is not None
    x = min(max(label.ax, box.x), box.x + box.w)
    y = min(max(label.ay, box.y), box.y + box.h)
    return (
        f'<line x1="{label.ax:.1f}" y1="{label.ay:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
        'stroke="#777" stroke-width="0.8"/>'
    )


def _text(label: Label) -> str:
    box = label.box
    assert box is not None
    baseline = box.y + box.h * 0.8
    return (
        f'<text x="{box.x:.1f}" y="{baseline:.1f}" font-size="{label.size:g}" '
        f'data-box="{box.x:.1f} {box.y:.1f} {box.w:.1f} {box.h:.1f}">{escape(label.text)}</text>'
    )


def map_svg(totals: list[dict[str, Any]], facilities: list[Any], within_km: float,
            width: int = 640) -> Markup:  # fmt: skip
    """Villages (circles sized by households) and facilities (squares), drawn to scale."""
    points = [(t["village"].center_lat, t["village"].center_lon) for t in totals]
    points = [p for p in points if None not in p] + [(f.lat, f.lon) for f in facilities]
    if not points:
        return Markup("")
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    mid = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * mid, 1e-3)
    span_y = max(max(lats) - min(lats), 1e-3)
    scale = (width - 2 * PAD) / max(span_x, span_y)
    drawn = span_y * scale
    height = int(max(drawn + 2 * PAD, MIN_HEIGHT))
    top = (height - drawn) / 2  # a flat map sits in the middle, with room for labels

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (PAD + (lon - min(lons)) * mid * scale, top + drawn - (lat - min(lats)) * scale)

    bar = within_km / 111.32 * scale  # the scale bar, at 111.32 km per degree of latitude
    bar_label = _("%(km)s km", km=format_decimal(within_km))
    shapes: list[str] = []
    labels: list[Label] = []
    obstacles = [Box(PAD - 2, height - 36, max(bar, text_width(bar_label, 11)) + 4, 26)]
    for t in totals:
        village = t["village"]
        if village.center_lat is None or village.center_lon is None:
            continue
        x, y = xy(village.center_lat, village.center_lon)
        r = 6 + 2 * math.sqrt(privacy.number(t["households"]))
        households = t["households"]
        count = (
            households.words()
            if isinstance(households, privacy.Hidden)
            else format_decimal(households)
        )
        shapes.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#f4d03f" fill-opacity="0.5" '
            f'stroke="#7d6608"><title>{escape(village.name)}</title></circle>'
        )
        text = _("%(village)s: %(n)s households", village=village.name, n=count)
        labels.append(Label(text, x, y, 13, reach=r))
    for facility in facilities:
        x, y = xy(facility.lat, facility.lon)
        colour = KIND_COLOURS.get(facility.kind, "#555")
        shapes.append(
            f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}">'
            f"<title>{escape(facility.name)}</title></rect>"
        )
        obstacles.append(Box(x - 5, y - 5, 10, 10))
        labels.append(Label(facility.name, x, y, 11))
    place_labels(labels, width, height, obstacles)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="report-map" aria-label="{escape(_("Map of villages and facilities"))}">',
        f'<rect width="{width}" height="{height}" fill="#fbfaf7" stroke="#999"/>',
        *shapes,
        *(_leader(label) for label in labels if label.leader),
        '<g class="labels" paint-order="stroke" stroke="#fbfaf7" stroke-width="3" '
        'stroke-linejoin="round">',
        *(_text(label) for label in labels),
        "</g>",
        f'<line x1="{PAD}" y1="{height - 15}" x2="{PAD + bar:.1f}" y2="{height - 15}" '
        f'stroke="#000" stroke-width="3"/><text x="{PAD}" y="{height - 20}" font-size="11">'
        f"{escape(bar_label)}</text></svg>",
    ]
    return Markup("".join(parts))
