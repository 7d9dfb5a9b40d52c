"""Qualitative analysis: a code book, coded passages of interviews, memos, minutes and contact
summaries, their retrieval and export."""

from flask import Blueprint

bp = Blueprint("qda", __name__)

from cbpar.qda import codebook_views, views  # noqa: E402,F401
