"""The JSON API under /api/v1: bearer token or session, the same permission rules as pages."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from cbpar.api import accessibility, geojson, meetings, memos, views  # noqa: E402,F401
