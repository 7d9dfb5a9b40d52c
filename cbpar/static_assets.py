"""Static files served by the app itself: fingerprinted URLs cached for a year, compressed once.

`url_for("static", filename="js/map.js")` gives `/static/js/map.<12 hex>.js`, the hex being the
start of the file's SHA-256: a changed file gets a new URL, so browsers may keep each URL for a
year (`immutable`). The same name without its fingerprint still works, cached for an hour (the
images Leaflet's CSS names by relative URL are fetched that way). JavaScript, CSS and SVG are
sent gzipped (or brotli-compressed when the `brotli` module happens to be installed) as the
browser's Accept-Encoding allows; the compressed bytes are made once per process and file, and
remade only when the file changes on disk. A laptop serving the app without a proxy gets all
this; behind nginx, deploy/nginx/cbpar.conf serves the same names itself.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, Response, abort, current_app, request, send_file
from werkzeug.security import safe_join

try:  # optional: only when already installed; gzip is always there
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

HASH_LENGTH = 12
FINGERPRINTED = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.\w+)$")
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=3600"
COMPRESSIBLE = {".js", ".css", ".svg", ".json", ".txt", ".map", ".html"}
MAX_IN_MEMORY = 4 * 1024 * 1024  # larger files are sent from disk, uncompressed


@dataclass(frozen=True)
class Asset:
    """One static file as read at (mtime, size): its hash, and its bytes as sent."""

    path: str
    stamp: tuple[int, int]  # (mtime_ns, size): the cached entry is stale once this changes
    digest: str  # hex SHA-256 of the content
    mimetype: str
    modified: datetime
    data: bytes | None  # None: too large to keep, sent from disk
    gzipped: bytes | None = None
    brotli: bytes | None = None

    @property
    def fingerprint(self) -> str:
        return self.digest[:HASH_LENGTH]


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return stat.st_mtime_ns, stat.st_size


def _compressed(data: bytes, ext: str) -> tuple[bytes | None, bytes | None]:
    if ext not in COMPRESSIBLE or len(data) < 256:
        return None, None
    gz = gzip.compress(data, compresslevel=9, mtime=0)
    br = brotli.compress(data, quality=11) if brotli is not None else None
    keep = len(data) * 0.9  # not worth a Content-Encoding otherwise
    return (gz if len(gz) < keep else None), (br if br is not None and len(br) < keep else None)


class StaticFiles:
    """The static folder's files, hashed and compressed on first use, per process."""

    def __init__(self) -> None:
        self._cache: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def asset(self, folder: str, filename: str) -> Asset | None:
        path = safe_join(folder, filename)
        if path is None:
            return None
        stamp = _stamp(path)
        if stamp is None:
            return None
        cached = self._cache.get(path)
        if cached is not None and cached.stamp == stamp:
            return cached
        with self._lock:
            return self._load(path, stamp)

    def _load(self, path: str, stamp: tuple[int, int]) -> Asset:
        cached = self._cache.get(path)
        if cached is not None and cached.stamp == stamp:
            return cached
        with open(path, "rb") as handle:
            data = handle.read()
        ext = os.path.splitext(path)[1].lower()
        gz, br = _compressed(data, ext)
        asset = Asset(
            path=path,
            # read after the bytes: a file changed meanwhile is read again next time
            stamp=(stamp[0], len(data)),
            digest=hashlib.sha256(data).hexdigest(),
            mimetype=mimetypes.guess_type(path)[0] or "application/octet-stream",
            modified=datetime.fromtimestamp(stamp[0] / 1e9, UTC),
            data=data if len(data) <= MAX_IN_MEMORY else None,
            gzipped=gz,
            brotli=br,
        )
        self._cache[path] = asset
        return asset


def files(app: Flask | None = None) -> StaticFiles:
    return (app or current_app).extensions["cbpar_static_files"]


def fingerprinted(filename: str, app: Flask | None = None) -> str:
    """`js/map.js` -> `js/map.3f2a9c1b0d4e.js`; unchanged if there is no such file."""
    app = app or current_app
    stem, ext = os.path.splitext(filename)
    if not ext or not stem or app.static_folder is None or FINGERPRINTED.match(filename):
        return filename
    asset = files(app).asset(app.static_folder, filename)
    if asset is None:
        return filename
    return f"{stem}.{asset.fingerprint}{ext}"


def serve(filename: str) -> Response:
    """The static route's view: a fingerprinted name whose hash is the file's gets a year."""
    folder = current_app.static_folder
    if folder is None:
        abort(404)
    cache = SHORT_CACHE
    asset = files().asset(folder, filename)
    match = FINGERPRINTED.match(filename)
    if asset is None and match:
        asset = files().asset(folder, match["stem"] + match["ext"])
        # An old page's hash after an upgrade: today's file, but not for a year.
        if asset is not None and asset.fingerprint == match["hash"]:
            cache = LONG_CACHE
    if asset is None:
        abort(404)
    return _response(asset, cache)


def _response(asset: Asset, cache: str) -> Response:
    if asset.data is None:
        response = send_file(asset.path, mimetype=asset.mimetype, conditional=True, etag=True)
        response.headers["Cache-Control"] = cache
        return response
    body, encoding = asset.data, None
    if asset.gzipped is not None:
        accepted = request.accept_encodings
        if asset.brotli is not None and accepted["br"]:
            body, encoding = asset.brotli, "br"
        elif accepted["gzip"]:
            body, encoding = asset.gzipped, "gzip"
    response = current_app.response_class(body, mimetype=asset.mimetype)
    if asset.gzipped is not None:
        response.vary.add("Accept-Encoding")
    if encoding:
        response.content_encoding = encoding
    # Each encoding is its own representation, with its own strong ETag.
    response.set_etag(asset.digest[:32] + {"br": "-br", "gzip": "-gz"}.get(encoding or "", ""))
    response.last_modified = asset.modified
    response.headers["Cache-Control"] = cache
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """Fingerprint every url_for("static", ...) and serve /static/ through `serve`."""
    app.extensions["cbpar_static_files"] = StaticFiles()
    if "static" not in app.view_functions:
        return

    @app.url_defaults
    def fingerprint_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and isinstance(values.get("filename"), str):
            values["filename"] = fingerprinted(values["filename"], app)

    app.view_functions["static"] = serve
