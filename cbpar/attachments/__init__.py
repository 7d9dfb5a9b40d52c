"""Files attached to records, stored under generated names, served after a permission check."""

from flask import Blueprint

bp = Blueprint("attachments", __name__)

from cbpar.attachments import views  # noqa: E402,F401
