"""Research memos, reflection notes and field notes; tags; search."""

from flask import Blueprint

bp = Blueprint("memos", __name__)

from cbpar.memos import views  # noqa: E402,F401
