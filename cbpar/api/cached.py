"""Answers from the map data cache (cbpar/mapping/mapdata.py): 304 from the version alone, else
the gzipped body as built once (unzipped only for a client that does not take gzip)."""

from __future__ import annotations

from flask import Request, Response

from cbpar.mapping import mapdata

HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding, Authorization, Cookie"}


def respond(found: mapdata.Lookup, request: Request, mimetype: str) -> Response:
    """Like responses.json_response, but the ETag (weak) names the data version, not a hash of
    the body, so answering "not modified" reads one row and builds nothing."""
    if found.etag and request.if_none_match.contains_weak(found.etag):
        response = Response(status=304, headers=HEADERS)
        response.set_etag(found.etag, weak=True)
        return response
    body = found.load()
    etag = found.etag or body.etag
    if not found.etag and request.if_none_match.contains_weak(etag):
        response = Response(status=304, headers=HEADERS)
        response.set_etag(etag, weak=True)
        return response
    if request.accept_encodings.quality("gzip") > 0:
        response = Response(body.gzipped, mimetype=mimetype, headers=HEADERS)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(body.plain(), mimetype=mimetype, headers=HEADERS)
    response.set_etag(etag, weak=True)
    return response
