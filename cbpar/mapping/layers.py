"""Extra layers of the community map that other features contribute (e.g. care's service reach),
kept per app like links and search providers (cbpar.registry).

A layer is drawn by static/js/map-layers.js from a JSON address the feature serves; mapping
knows nothing of what it shows. The answer is either points or village figures:

    {"shape": "points", "points": [{"lat", "lon", "count", "label"}], "total", "note"}
    {"shape": "villages", "villages": [{"village", "lat", "lon", "count"}], "total", "note"}

A count may be "<5" or "hidden" (cbpar/privacy.py). A layer may have one number the member
chooses (e.g. a distance in km), sent as a query parameter; the answer's 400 carries
{"error": message} when the number is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from cbpar.registry import slot


@dataclass(frozen=True)
class NumberParam:
    """A number the member sets on the map (a distance, a number of days)."""

    name: str  # the query parameter
    label: Callable[[], str]
    default: float
    minimum: float
    maximum: float
    step: float = 0.5


@dataclass(frozen=True)
class MapLayer:
    key: str
    label: Callable[[], str]  # in the layer control and the legend
    url: Callable[[Any], str]  # the project -> the JSON address
    visible: Callable[[Any], bool]  # the membership -> may this member see the layer
    legend: Callable[[], str] = lambda: ""  # one line under the layer's swatch
    param: NumberParam | None = None
    colour: str = "#7c3aed"


def _layers() -> dict[str, MapLayer]:
    return {}


def register_layer(app: Flask, layer: MapLayer) -> None:
    slot("map_layers", _layers, app)[layer.key] = layer


def layers_for(project: Any, membership: Any) -> list[dict[str, Any]]:
    """The extra layers this member may see, as map-layers.js reads them (texts translated)."""
    result = []
    for layer in slot("map_layers", _layers).values():
        if not layer.visible(membership):
            continue
        entry: dict[str, Any] = {
            "key": layer.key,
            "label": layer.label(),
            "legend": layer.legend(),
            "url": layer.url(project),
            "colour": layer.colour,
        }
        if layer.param is not None:
            p = layer.param
            entry["param"] = {
                "name": p.name,
                "label": p.label(),
                "value": p.default,
                "min": p.minimum,
                "max": p.maximum,
                "step": p.step,
            }
        result.append(entry)
    return result
