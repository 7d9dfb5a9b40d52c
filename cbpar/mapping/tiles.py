"""Basemap tiles served by the app itself, from a folder of XYZ tiles or an MBTiles file.

A team that cannot reach a public tile server (offline laptops, networks in China) puts tiles
on its own server: `CBPAR_TILES_DIR` (a folder `{z}/{x}/{y}.png`) or `CBPAR_MBTILES` (one
SQLite file, rows in TMS order: y counts from the south). `CBPAR_TILES` then defaults to
`local`, the route below, for members who are logged in. See docs/mapping.md.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from flask import Blueprint, Flask, Response, abort, current_app, request

from cbpar.access import require_login

log = logging.getLogger(__name__)

bp = Blueprint("tiles", __name__)

LOCAL = "local"  # the `TILES` value meaning "this app's /tiles/ route"
TEMPLATE = "/tiles/{z}/{x}/{y}.png"
MAX_ZOOM = 24  # deeper than any raster tile set; refuses absurd coordinates early
CACHE_SECONDS = 7 * 24 * 3600  # tiles rarely change; a week spares field laptops' bandwidth
DEFAULT_ATTRIBUTION = "Map tiles"
# A folder written by QGIS or gdal2tiles may hold JPEG or WebP tiles under the same names.
EXTENSIONS = ("png", "jpg", "jpeg", "webp")
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)


@dataclass(frozen=True)
class Basemap:
    """What the map page needs to know about its tiles."""

    tiles: str  # "openstreetmap", "none", or a URL template
    attribution: str
    max_native_zoom: int | None  # deepest zoom the tiles exist at; Leaflet enlarges beyond


def _path(config: dict[str, Any], key: str) -> Path | None:
    raw = str(config.get(key) or "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path(current_app.instance_path) / path  # relative to the instance folder
    return path


def tiles_dir(config: dict[str, Any]) -> Path | None:
    return _path(config, "TILES_DIR")


def mbtiles(config: dict[str, Any]) -> Path | None:
    return _path(config, "MBTILES")


def is_local(config: dict[str, Any]) -> bool:
    return str(config.get("TILES") or "").strip().lower() == LOCAL


def init_app(app: Flask) -> None:
    """Serve the tiles route; with tiles configured, `TILES` defaults to it."""
    app.register_blueprint(bp)
    configured = app.config.get("TILES_DIR") or app.config.get("MBTILES")
    if configured and str(app.config.get("TILES", "")).strip().lower() in ("", "openstreetmap"):
        app.config["TILES"] = LOCAL


def basemap(config: dict[str, Any], script_root: str = "") -> Basemap:
    """The tile source for the map pages (the app's own route for `local`)."""
    tiles = str(config.get("TILES") or "openstreetmap")
    attribution = str(config.get("TILES_ATTRIBUTION") or "")
    if not is_local(config):
        return Basemap(tiles, attribution, None)
    meta = _metadata(config)
    return Basemap(
        script_root + TEMPLATE,
        attribution or meta.get("attribution") or DEFAULT_ATTRIBUTION,
        _max_zoom(config, meta),
    )


# --- reading tiles ---------------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only: the app never writes a tile set, and a missing file is not created.
    return sqlite3.connect(f"file:{pathname2url(str(path))}?mode=ro", uri=True)


@functools.lru_cache(maxsize=4)
def _mbtiles_metadata(path: str, mtime: float) -> dict[str, str]:
    with closing(_connect(Path(path))) as connection:
        try:
            rows = connection.execute("SELECT name, value FROM metadata").fetchall()
        except sqlite3.Error:
            rows = []
        meta = {str(name): str(value) for name, value in rows}
        if "maxzoom" not in meta:
            deepest = connection.execute("SELECT MAX(zoom_level) FROM tiles").fetchone()[0]
            if deepest is not None:
                meta["maxzoom"] = str(deepest)
    return meta


def _metadata(config: dict[str, Any]) -> dict[str, str]:
    """An MBTiles file's metadata table (attribution, maxzoom); empty for a folder."""
    path = mbtiles(config)
    if path is None:
        return {}
    try:
        return _mbtiles_metadata(str(path), path.stat().st_mtime)
    except (OSError, sqlite3.Error) as exc:
        log.warning("MBTiles file %s cannot be read: %s", path, exc)
        return {}


def _max_zoom(config: dict[str, Any], meta: dict[str, str]) -> int | None:
    if meta.get("maxzoom", "").strip().isdigit():
        return min(int(meta["maxzoom"]), MAX_ZOOM)
    folder = tiles_dir(config)
    if folder is None or not folder.is_dir():
        return None
    levels = [int(p.name) for p in folder.iterdir() if p.name.isdigit() and p.is_dir()]
    return min(max(levels), MAX_ZOOM) if levels else None


def _from_folder(folder: Path, z: int, x: int, y: int) -> bytes | None:
    root = folder.resolve()
    for extension in EXTENSIONS:
        path = (root / str(z) / str(x) / f"{y}.{extension}").resolve()
        if not path.is_relative_to(root):  # a symbolic link out of the tile folder
            return None
        if path.is_file():
            return path.read_bytes()
    return None


def _from_mbtiles(path: Path, z: int, x: int, y: int) -> bytes | None:
    if not path.is_file():
        return None
    with closing(_connect(path)) as connection:
        row = connection.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),  # MBTiles rows are TMS: row 0 is the southern edge
        ).fetchone()
    return bytes(row[0]) if row and row[0] else None


def read_tile(config: dict[str, Any], z: int, x: int, y: int) -> bytes | None:
    """One tile's bytes, or None outside the tile set or the world."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
        return None
    folder, packed = tiles_dir(config), mbtiles(config)
    try:
        if packed is not None:
            data = _from_mbtiles(packed, z, x, y)
            if data is not None:
                return data
        if folder is not None:
            return _from_folder(folder, z, x, y)
    except (OSError, sqlite3.Error) as exc:
        log.warning("tile %s/%s/%s cannot be read: %s", z, x, y, exc)
    return None


def image_type(data: bytes) -> str:
    for signature, mimetype in SIGNATURES:
        if data.startswith(signature):
            return mimetype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"  # not a raster tile (a vector tile set): not drawn


@bp.route("/tiles/<int:z>/<int:x>/<int:y>.png")
@require_login
def tile(z: int, x: int, y: int) -> Response:
    # The int converter already refuses signs, dots and names: no path reaches the disk.
    data = read_tile(current_app.config, z, x, y)
    if data is None:
        abort(404)
    response = Response(data, mimetype=image_type(data))
    response.cache_control.private = True  # behind a log-in: no shared cache keeps it
    response.cache_control.max_age = CACHE_SECONDS
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    return response.make_conditional(request)
