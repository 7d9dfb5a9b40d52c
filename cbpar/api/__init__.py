"""The JSON API under /api/v1: bearer token or session, the same permission rules as pages."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from cbpar.api import (  # noqa: E402,F401
    accessibility,
    attachments,
    children,
    facilities,
    geojson,
    households,
    initiatives,
    initiatives_write,
    interviews,
    meetings,
    meetings_write,
    memos,
    needs,
    notifications,
    openapi,
    programmes,
    qda,
    views,
    writing,
)
