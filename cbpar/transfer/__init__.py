"""Import, export, backup and restore, erasure, and the project report."""

from flask import Blueprint

bp = Blueprint("transfer", __name__)

from cbpar.transfer import views  # noqa: E402,F401
