"""Key-informant and family interviews, with their consent records."""

from flask import Blueprint

bp = Blueprint("interviews", __name__)

from cbpar.interviews import views  # noqa: E402,F401
