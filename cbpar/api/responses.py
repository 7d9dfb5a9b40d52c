"""JSON responses for the API: compact, with an ETag, 304 when unchanged, gzip when accepted."""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from flask import Request, Response, jsonify

GZIP_MIN_BYTES = 1024  # smaller bodies are not worth compressing
GZIP_LEVEL = 6  # zlib's default: most of level 9's saving, at half its time on large GeoJSON


def error(parameter: str | None, message: str, status: int = 400) -> Response:
    """A JSON error; `parameter` names the query parameter that was wrong, if any."""
    body: dict[str, Any] = {"error": "bad_request" if status == 400 else str(status)}
    if parameter:
        body["parameter"] = parameter
    body["message"] = message
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def json_response(
    obj: Any,
    request: Request,
    *,
    status: int = 200,
    mimetype: str = "application/json",
    cache_control: str = "private, no-cache",
) -> Response:
    """Serialise `obj` compactly and answer it, or 304 if the client already has this body.

    `obj` may also be bytes already serialised as JSON (large, hand-built bodies).
    The ETag is a hash of the uncompressed body, so it is the same whether or not the client
    accepts gzip (a weak validator, as the encoding may differ). The default Cache-Control lets
    the browser keep a private copy that it must revalidate: cheap with the ETag, and never
    stored by shared caches.
    """
    if isinstance(obj, bytes | bytearray):
        body = bytes(obj)
    else:
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        body = body.encode()
    etag = hashlib.blake2b(body, digest_size=16).hexdigest()
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding, Authorization, Cookie"}
    if status == 200 and request.if_none_match.contains_weak(etag):
        response = Response(status=304, headers=headers)
        response.set_etag(etag, weak=True)
        return response
    response = Response(body, status=status, mimetype=mimetype, headers=headers)
    response.set_etag(etag, weak=True)
    if len(body) >= GZIP_MIN_BYTES and request.accept_encodings.quality("gzip") > 0:
        response.set_data(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response
