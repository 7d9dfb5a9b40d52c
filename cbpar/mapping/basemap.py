"""The folium map behind the map pages, wired to vendored Leaflet assets only (no CDN)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

import folium
from branca.element import CssLink, JavascriptLink

# Folium's own default assets come from CDNs (jQuery, Bootstrap, Font Awesome, awesome-markers);
# the map needs none of them. Every asset below is served from static/vendor/ with its licence.
VENDOR_JS = [
    ("leaflet", "vendor/leaflet/leaflet.js"),
    ("leaflet_markercluster", "vendor/leaflet.markercluster/leaflet.markercluster.js"),
]
VENDOR_CSS = [
    ("leaflet_css", "vendor/leaflet/leaflet.css"),
    ("markercluster_css", "vendor/leaflet.markercluster/MarkerCluster.css"),
    ("markercluster_default_css", "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
]
DEFAULT_ATTRIBUTION = "Map tiles"
MAX_ZOOM = 19
# Leaflet 1.9's own prefix carries a national flag; the map names its library, nothing more.
ATTRIBUTION_PREFIX = '<a href="https://leafletjs.com">Leaflet</a>'


@dataclass
class MapParts:
    """What a page template needs: asset URLs, the map's element, and its (inline) script."""

    css: list[str]
    js: list[str]
    html: str
    script: str
    name: str  # the JavaScript variable folium gives the L.Map


def _tiles(setting: str, attribution: str) -> tuple[str | None, str | None]:
    value = (setting or "").strip()
    if not value or value.lower() == "openstreetmap":
        return "OpenStreetMap", None
    if value.lower() == "none":
        return None, None
    return value, attribution or DEFAULT_ATTRIBUTION


def build(
    *,
    center: tuple[float, float],
    zoom: int,
    tiles: str,
    attribution: str,
    static_url: Callable[[str], str],
    max_native_zoom: int | None = None,
) -> MapParts:
    """A Leaflet map by folium, its assets pointed at static/ (raises if any is not local).

    `max_native_zoom`: the deepest zoom the tiles exist at (a team's own tile set often
    stops at 16); Leaflet enlarges those tiles beyond it instead of asking for missing ones.
    """
    tile_source, attr = _tiles(tiles, attribution)
    fmap = folium.Map(
        location=list(center),
        zoom_start=zoom,
        max_zoom=MAX_ZOOM,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,
    )
    if tile_source is not None:
        folium.raster_layers.TileLayer(
            tile_source,
            attr=attr,
            max_zoom=MAX_ZOOM,
            max_native_zoom=min(max_native_zoom or MAX_ZOOM, MAX_ZOOM),
        ).add_to(fmap)
    # Marker clustering needs the map's own maxZoom; folium gives it only to a tile layer,
    # so with TILES=none the map would have none.
    fmap.options["max_zoom"] = MAX_ZOOM
    fmap.default_js = [(name, static_url(path)) for name, path in VENDOR_JS]
    fmap.default_css = [(name, static_url(path)) for name, path in VENDOR_CSS]
    figure = fmap.get_root()
    figure.render()
    js, css = [], []
    for child in figure.header._children.values():
        if isinstance(child, JavascriptLink):
            js.append(child.url)
        elif isinstance(child, CssLink):
            css.append(child.url)
    for url in (*js, *css):
        if "//" in url:
            raise ValueError(f"map asset not served locally: {url}")
    name = fmap.get_name()
    # A metric scale bar only (the villages measure in km and li), and a neutral prefix.
    extra = (
        f"L.control.scale({{imperial: false, maxWidth: 150}}).addTo({name});\n"
        f"{name}.attributionControl.setPrefix({json.dumps(ATTRIBUTION_PREFIX)});"
    )
    return MapParts(
        css=css,
        js=js,
        html=figure.html.render().strip(),
        script=figure.script.render().strip() + "\n" + extra,
        name=name,
    )


@functools.lru_cache(maxsize=8)
def tile_url(tiles: str) -> str | None:
    """The URL template the map loads its tiles from (None when `CBPAR_TILES` is `none`)."""
    source, attr = _tiles(tiles, "")
    if source is None:
        return None
    try:
        return str(folium.raster_layers.TileLayer(source, attr=attr).tiles)
    except Exception:  # an unknown provider name: the map shows no tiles either
        return None
