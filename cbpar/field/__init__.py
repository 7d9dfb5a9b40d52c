"""The offline field app: the field worker's home at /projects/<slug>/field/, its manifest, its
service worker at /sw.js and the lists it keeps on the phone (see docs/field.md)."""

from flask import Blueprint

bp = Blueprint("field", __name__)

from cbpar.field import views  # noqa: E402,F401
