"""ODK Collect, KoBoCollect and Enketo send their forms here: an OpenRosa server per project,
its XLSForms, and the review queue of submissions that failed the pages' checks."""

from flask import Blueprint

bp = Blueprint("openrosa", __name__)

from cbpar.openrosa import review_views, views  # noqa: E402,F401
