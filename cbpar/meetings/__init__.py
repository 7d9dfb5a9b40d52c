"""Meetings, attendance, minutes, decisions and action items."""

from flask import Blueprint

bp = Blueprint("meetings", __name__)

from cbpar.meetings import integration, views  # noqa: E402,F401

integration.register()
