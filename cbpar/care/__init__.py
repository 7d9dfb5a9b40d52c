"""Services and care: children of the mapped households and the contacts the team keeps."""

from flask import Blueprint

bp = Blueprint("care", __name__)

from cbpar.care import (  # noqa: E402,F401
    dashboard_views,
    programme_views,
    reach_views,
    views,
    volunteer_views,
)
