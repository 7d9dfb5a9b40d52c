"""Security headers, the CSP nonce, CSRF for cookie requests, and friendly error pages."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from cbpar.extensions import csrf
from cbpar.mapping.basemap import tile_url

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def tile_host_source(template: str | None) -> str | None:
    """The CSP source (scheme and host) of a tile URL template, e.g. `https://tile.osm.org`.

    A placeholder in the host (`{s}.tile.example.org`, `webrd0{s}.example.com`) becomes a
    wildcard label (`*.tile.example.org`); a template on the app's own host needs nothing.
    """
    if not template:
        return None
    parts = urlsplit(template if "//" in template else "")
    host = parts.netloc.rsplit("@", 1)[-1]
    if not host:
        return None
    if "{" in host:
        labels = host.split(".")
        while labels and "{" in labels[0]:
            labels.pop(0)
        if len(labels) < 2 or any("{" in label for label in labels):
            return None  # no safe source to name: tiles will not load
        host = "*." + ".".join(labels)
    if not re.fullmatch(r"[A-Za-z0-9.*:\[\]-]+", host):
        return None
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{host}"
    return host  # `//host/...`: the page's own scheme


def img_sources(tiles: str) -> str:
    """`img-src`: the app itself, data: URLs (Leaflet's icons), and the configured tile host."""
    host = tile_host_source(tile_url(tiles))
    return " ".join(["'self'", "data:", *([host] if host else [])])


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def bearer_only() -> bool:
    """Authenticated by an API token alone: no session cookie, so no CSRF risk."""
    auth = request.headers.get("Authorization", "")
    cookie = request.cookies.get("session") or request.cookies.get("remember_token")
    return auth.lower().startswith("bearer ") and not cookie


def init_app(app: Flask) -> None:
    @app.before_request
    def check_csrf() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True) or request.method in SAFE_METHODS:
            return
        if bearer_only():
            return
        # A view marked `csrf_exempt` is posted to by programs that have no session or form
        # token and proves the request another way: RFC 8058 one-click unsubscribe (a secret
        # token in the URL, cbpar/notify/delivery_views.py), ODK Collect (cbpar/openrosa).
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "csrf_exempt", False):
            return
        csrf.protect()

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")  # the language can come from the browser
            nonce = csp_nonce()
            headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; "
                f"script-src 'self' 'nonce-{nonce}'; "
                "style-src 'self' 'unsafe-inline'; "
                f"img-src {img_sources(app.config.get('TILES', 'openstreetmap'))}; "
                "connect-src 'self'; font-src 'self'; object-src 'none'; "
                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            )
        if app.config.get("HTTPS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if getattr(g, "bearer_auth", False):
            response.headers.pop("Set-Cookie", None)
        return response

    def render_error(code: int, title: str, message: str):
        if wants_json():
            return jsonify(error=title, message=message), code
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400,
            _("The form expired"),
            _("Go back, reload the page and send the form again. Nothing was saved."),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            400: (_("Bad request"), _("The request could not be understood. Nothing was saved.")),
            401: (_("Log-in needed"), _("Log in, or send a valid API token.")),
            403: (_("Not allowed"), _("Your role in this project does not allow this.")),
            404: (_("Not found"), _("There is nothing here, or it is not shared with you.")),
            405: (_("Not allowed"), _("This address does not accept that kind of request.")),
            409: (_("Conflict"), _("This cannot be done in the current state. Nothing changed.")),
            413: (_("Too large"), _("The upload is larger than allowed.")),
            429: (_("Too many attempts"), _("Wait a few minutes, then try again.")),
        }
        title, message = messages.get(exc.code or 500, (exc.name, exc.description or ""))
        return render_error(exc.code or 500, title, message)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        propagate = app.config.get("PROPAGATE_EXCEPTIONS")
        if propagate if propagate is not None else (app.debug or app.testing):
            raise exc
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(
            500,
            _("Something went wrong"),
            _("The error has been logged. Nothing was saved; please try again."),
        )
