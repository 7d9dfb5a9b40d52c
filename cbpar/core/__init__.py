"""Cross-cutting pages and hooks: health check, error pages, security headers."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from cbpar.core import views  # noqa: E402,F401
