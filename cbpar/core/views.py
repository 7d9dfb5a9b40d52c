"""The health check."""

from flask import jsonify
from sqlalchemy import text

from cbpar.access import public
from cbpar.core import bp
from cbpar.db import db


@bp.route("/healthz")
@public
def healthz():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not healthy"
        reason = type(exc).__name__
        return jsonify(status="error", database=f"unreachable ({reason})"), 503
    return jsonify(status="ok", database="ok")
