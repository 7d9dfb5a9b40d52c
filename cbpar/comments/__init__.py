"""Comments on records (memos, meetings, ...), with one level of replies."""

from flask import Blueprint

bp = Blueprint("comments", __name__)

from cbpar.comments import views  # noqa: E402,F401
