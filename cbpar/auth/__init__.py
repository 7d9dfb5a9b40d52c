"""Accounts: log-in, log-out, invitations, profile, language and API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from cbpar.auth import views  # noqa: E402,F401
