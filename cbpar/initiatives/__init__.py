"""Initiatives answering confirmed needs: funding, milestones, results, transparency."""

from flask import Blueprint

bp = Blueprint("initiatives", __name__)

from cbpar.initiatives import impact_views, views  # noqa: E402,F401
