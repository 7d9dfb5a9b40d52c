"""The map's data, built once per change: household bodies cached per process, gzipped, under
(project, body, privacy shape, parameters, map data version).

A body is rebuilt only when the project's map data version (cbpar/mapping/data_version.py, kept
by database triggers) has moved, so a change made through any app process is seen on the next
request, and a warm request costs one tiny query plus a copy. Each audience has its own entry
(the key holds `privacy.Audience`), so a committee member never gets a field body.

Bodies are serialised from plain Core rows with `json.dumps` of lists, a chunk of rows at a time
straight into one gzip stream: the uncompressed body never exists whole, which keeps a build at
200,000 households within a small, fixed amount of memory.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from flask import current_app
from sqlalchemy import String, select, type_coerce

from cbpar import privacy
from cbpar.db import db
from cbpar.mapping import data_version
from cbpar.mapping.models import Household
from cbpar.projects.models import Project, Village

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024  # gzipped bodies per process; 200k households: ~4 MB
GZIP_LEVEL = 6
CHUNK_ROWS = 5000
POINTS_FORMAT = "cbpar-points"
POINTS_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Body:
    """A cached answer: its gzipped bytes, its ETag and how long it is unzipped."""

    gzipped: bytes
    etag: str
    size: int

    def plain(self) -> bytes:
        return zlib.decompress(self.gzipped, 31)


class BodyCache:
    """Least recently used bodies up to a total of gzipped bytes; one per app (per process)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[Hashable, Body] = OrderedDict()
        self.total = 0
        self.lock = threading.Lock()
        self.builds = 0  # how many bodies were built (tests, benchmarks)

    def get(self, key: Hashable) -> Body | None:
        with self.lock:
            body = self.entries.get(key)
            if body is not None:
                self.entries.move_to_end(key)
            return body

    def put(self, key: tuple[Any, ...], body: Body) -> None:
        with self.lock:
            # The same body at an older version is never asked for again: drop it now.
            for old in [k for k in self.entries if k[:-1] == key[:-1] and k != key]:
                self.total -= len(self.entries.pop(old).gzipped)
            if key in self.entries:
                self.total -= len(self.entries.pop(key).gzipped)
            if len(body.gzipped) > self.max_bytes:
                return
            self.entries[key] = body
            self.total += len(body.gzipped)
            while self.total > self.max_bytes:
                _key, dropped = self.entries.popitem(last=False)
                self.total -= len(dropped.gzipped)


def cache() -> BodyCache:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("cbpar_mapdata")
    if found is None:
        limit = int(app.config.get("MAP_DATA_CACHE_BYTES", DEFAULT_CACHE_BYTES))
        found = app.extensions.setdefault("cbpar_mapdata", BodyCache(limit))
    return found


def compress(chunks: Iterable[bytes | str]) -> tuple[bytes, int]:
    """Gzip (mtime 0) a body given in pieces; returns the bytes and the unzipped length."""
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    out: list[bytes] = []
    size = 0
    for chunk in chunks:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        size += len(data)
        out.append(packer.compress(data))
    out.append(packer.flush())
    return b"".join(out), size


def etag_for(key: tuple[Any, ...]) -> str:
    return "md-" + "-".join(str(part).replace('"', "") for part in key)


@dataclass(frozen=True)
class Lookup:
    """What a request for a cached body found: the body to send, or only its ETag (None if the
    project has no version row and the body cannot be cached)."""

    etag: str | None
    load: Callable[[], Body]


def lookup(project_id: int, name: str, audience: privacy.Audience, params: tuple, build) -> Lookup:
    """The ETag of body `name` for this audience and parameters, and how to get the body.

    `build()` yields the uncompressed body in pieces; it runs at most once per version and key
    in this process. The ETag needs only the version, so a 304 never builds anything.
    """
    version = data_version.current(project_id)
    if version is None:  # no triggers yet (a database not migrated): build every time

        def uncached() -> Body:
            gzipped, size = compress(build())
            return Body(gzipped, hashlib.blake2b(gzipped, digest_size=16).hexdigest(), size)

        return Lookup(None, uncached)
    key = (project_id, name, audience.value, *params, version)
    etag = etag_for(key)

    def load() -> Body:
        store = cache()
        found = store.get(key)
        if found is None:
            gzipped, size = compress(build())
            found = Body(gzipped, etag, size)
            store.put(key, found)
            store.builds += 1
        return found

    return Lookup(etag, load)


# --- what the bodies hold ----------------------------------------------------------------------


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _in_project(project_id: int) -> Any:
    if db.engine.dialect.name == "sqlite":
        # As in exports: a scan beats walking the (project_id, lat, lon) index on SQLite.
        return Household.project_id + 0 == project_id
    return Household.project_id == project_id


def _village_rows(project_id: int) -> list[tuple[int, str, str]]:
    rows = db.session.execute(
        select(Village.id, Village.name, Village.code)
        .where(Village.project_id == project_id)
        .order_by(Village.id)
    )
    return [(vid, name, code) for vid, name, code in rows]


DETAIL_COLUMNS = (
    "members",
    "children_under_6",
    "children_6_17",
    "left_behind_children",
)


def _rows(project_id: int, shape: privacy.HouseholdShape) -> Iterator[tuple[Any, ...]]:
    """Plain driver tuples: id, code, number, village_id, lon, lat, then details if allowed.

    Field bodies are ordered by village and number (codes and ids then barely change from one
    row to the next); committee bodies by position, so their order tells nothing of numbers.
    """
    columns: list[Any] = [
        Household.id,
        Household.code,
        Household.number,
        Household.village_id,
        Household.lon,
        Household.lat,
    ]
    if shape.details:
        columns += [getattr(Household, name) for name in DETAIL_COLUMNS]
        columns += [
            type_coerce(Household.migrant_parents, String),
            type_coerce(Household.caregiver, String),
        ]
    order = (
        (Household.village_id, Household.number, Household.id)
        if shape.codes
        else (Household.lat, Household.lon, Household.id)
    )
    query = select(*columns).where(_in_project(project_id)).order_by(*order)
    result = db.session.connection().execute(query)
    try:
        cursor = result.cursor
        while batch := cursor.fetchmany(CHUNK_ROWS):
            yield from batch
    finally:
        result.close()


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def households_geojson(project: Project, audience: privacy.Audience) -> Iterator[str]:
    """The whole project's households as standard GeoJSON (what GIS clients read), shaped by
    `privacy.household_shape(audience)`, in pieces for `compress`."""
    shape = privacy.household_shape(audience)
    names = {vid: name for vid, name, _code in _village_rows(project.id)}
    yield dumps({"type": "FeatureCollection", "details": shape.details})[:-1] + ',"features":['
    if not shape.points:
        yield "]}"
        return
    places = shape.decimals
    # Each Feature formatted straight from its row: json.dumps of a dict per row costs twice
    # as much. Strings go through the json module's own (C) string encoder; the few that
    # repeat (village names, family situations) are encoded once.
    repeated: dict[Any, str] = {None: "null"}

    def again(value: Any) -> str:
        text = repeated.get(value)
        if text is None:
            text = repeated[value] = encode_basestring(value)
        return text

    villages_js = {vid: encode_basestring(name) for vid, name in names.items()}
    first = True
    for batch in _batches(_rows(project.id, shape)):
        parts = []
        for r in batch:
            head = (
                '{"type":"Feature",'
                + (f'"id":{r[0]},' if shape.ids else "")
                + '"geometry":{"type":"Point","coordinates":['
                + f"{round(r[4], places)!r},{round(r[5], places)!r}]}},"
                + '"properties":{'
                + (f'"code":{encode_basestring(r[1])},' if shape.codes else "")
                + f'"village":{villages_js.get(r[3], "null")}'
            )
            if shape.details:
                parts.append(
                    f'{head},"members":{_int(r[6])},"children_under_6":{_int(r[7])},'
                    f'"children_6_17":{_int(r[8])},"left_behind_children":{_int(r[9])},'
                    f'"migrant_parents":{again(r[10])},"caregiver":{again(r[11])}}}}}'
                )
            else:
                parts.append(head + "}}")
        text = ",".join(parts)
        yield text if first else "," + text
        first = False
    yield "]}"


def _int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _deltas(values: list[int]) -> list[int]:
    """The first value, then each one's difference from the one before."""
    out = []
    previous = 0
    for value in values:
        out.append(value - previous)
        previous = value
    return out


BAND_DEGREES = 0.001  # rows run east and west in strips this high: neighbours follow each other


def households_points(project: Project, audience: privacy.Audience) -> Iterator[str]:
    """The compact, columnar household points the map page draws (format in docs/api.md).

    Only what drawing needs: the village, the point and (field roles) a marker style. Rows are
    in spatial order (by village, then in strips of latitude, east and west in turn), and
    coordinates are integers (degrees x `scale`) given as differences from the previous row,
    so most are small numbers that gzip well: about 3 bytes a household. A popup asks
    households.geojson for the few households at its point (code, link, figures).
    """
    shape = privacy.household_shape(audience)
    villages = _village_rows(project.id)
    index = {vid: i for i, (vid, _name, _code) in enumerate(villages)}
    places = shape.decimals
    scale = 10**places if shape.points else 1
    head: dict[str, Any] = {
        "format": POINTS_FORMAT,
        "format_version": POINTS_FORMAT_VERSION,
        "details": shape.details,
        "scale": scale,
        "villages": [{"name": name} for _vid, name, _code in villages],
    }
    rows: list[tuple[Any, ...]] = []
    if shape.points:
        columns: list[Any] = [Household.village_id, Household.lat, Household.lon]
        if shape.details:
            columns += [Household.left_behind_children, Household.children_under_6]
        result = db.session.connection().execute(select(*columns).where(_in_project(project.id)))
        try:
            rows = result.cursor.fetchall()
        finally:
            result.close()

    def spatial(row: tuple[Any, ...]) -> tuple[int, int, float, float]:
        band = math.floor(row[1] / BAND_DEGREES)
        return (index.get(row[0], -1), band, row[2] if band % 2 == 0 else -row[2], row[1])

    rows.sort(key=spatial)
    body: dict[str, Any] = {
        "count": len(rows),
        "village": [index.get(r[0], -1) for r in rows],
        "lat": _deltas([round(round(r[1], places) * scale) for r in rows]),
        "lon": _deltas([round(round(r[2], places) * scale) for r in rows]),
    }
    if shape.details:
        # left-behind children (1) plus twice the children under 6, at most 4: the marker's
        # colour and size. An unknown count draws as none, as the GeoJSON map always did.
        body["style"] = [(1 if (r[3] or 0) > 0 else 0) + 2 * min(r[4] or 0, 4) for r in rows]
    del rows
    yield dumps(head)[:-1]
    for name, values in body.items():
        yield f',"{name}":' + dumps(values)
    yield "}"


def accessibility_points(answer: dict[str, Any]) -> Iterator[str]:
    yield dumps(answer)
