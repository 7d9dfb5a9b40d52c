"""The needs register and the needs-ranking vote."""

from flask import Blueprint

bp = Blueprint("needs", __name__)

from cbpar.needs import paper_views, views, vote_views  # noqa: E402,F401
