"""Projects: the home page, settings, villages, members and site administration."""

from flask import Blueprint

bp = Blueprint("projects", __name__)

from cbpar.projects import views  # noqa: E402,F401
