"""Meetings, attendance, minutes, decisions and action items."""

from flask import Blueprint

bp = Blueprint("meetings", __name__)

from cbpar.meetings import minutes_views, views  # noqa: E402,F401
