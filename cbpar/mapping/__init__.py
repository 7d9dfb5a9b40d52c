"""Community map: households, facilities, the map page and distance analyses."""

from flask import Blueprint

bp = Blueprint("mapping", __name__)

from cbpar.mapping import map_views, views  # noqa: E402,F401
