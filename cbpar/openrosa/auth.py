"""HTTP Basic for ODK Collect, KoBoCollect and Enketo: a username and a personal API token.

The guard `@openrosa_member(cap)` answers, in this order:
- 403 when CBPAR_HTTPS is set and the request did not arrive over HTTPS (behind nginx, with
  CBPAR_TRUSTED_PROXIES set, X-Forwarded-Proto says so): the token is a password and must
  not cross the network in clear, so it is refused before it is even read;
- 401 with `WWW-Authenticate: Basic realm="CBPAR"` without credentials, or with a username
  and token that do not belong together (counted like failed log-ins: cbpar/auth/throttle.py,
  429 once too many);
- 404 for an account that is not a member of the project (as every page: names do not leak);
- 403 for a member whose role lacks the capability (the views then check each form's own:
  households and facilities need edit_field_records, contacts record_care).
A browser session never logs anyone in here: only this request's credentials count, and the
answer sets no cookie. CSRF: see `_from_a_browser`.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request
from flask_babel import gettext as _

from cbpar.auth import throttle
from cbpar.auth.services import user_for_token
from cbpar.extensions import csrf, login_manager
from cbpar.openrosa import responses
from cbpar.projects.services import load_for_member
from cbpar.security import Cap, membership_can

REALM = "CBPAR"


def challenge(message: str) -> Response:
    response = responses.message(message, 401)
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _refused_in_clear() -> bool:
    return bool(current_app.config.get("HTTPS")) and not request.is_secure


def _user(username: str, token: str) -> Any:
    user = user_for_token(token) if token else None
    # The token must be the named account's own: a token alone does not pick the account.
    if user is None or not hmac.compare_digest(
        user.username.lower().encode(), username.strip().lower().encode()
    ):
        return None
    return user


def authenticate() -> tuple[Any, Response | None]:
    """The account this request's Basic credentials name, or the answer refusing it."""
    if _refused_in_clear():
        return None, responses.message(
            _("Use the server's https:// address: the password would cross the network in clear."),
            403,
        )
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        return None, challenge(_("Log in with your username and an API token."))
    username, token = credentials.username, credentials.password or ""
    wait = throttle.login_wait(username)
    if wait:
        response = responses.message(_("Too many failed attempts. Wait a few minutes."), 429)
        response.headers["Retry-After"] = str(wait)
        return None, response
    user = _user(username, token)
    if user is None:
        throttle.login_failed(username)
        return None, challenge(_("The username or API token is not right."))
    throttle.login_succeeded(username)
    return user, None


def _from_a_browser() -> Response | None:
    """CSRF for endpoints no browser should use. A POST that carries our session cookie is
    checked for the CSRF token like every form (so it fails: Collect has no cookie of ours);
    one that a browser sent from another site (Origin, Sec-Fetch-Site) is refused, since a
    browser may have kept Basic credentials someone once typed into it."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    cookie = request.cookies.get("session") or request.cookies.get("remember_token")
    if cookie and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # raises CSRFError: the app's 400 "The form expired"
    origin = request.headers.get("Origin")
    site = request.headers.get("Sec-Fetch-Site", "")
    if site in ("cross-site", "same-site") or (origin and origin != request.host_url.rstrip("/")):
        return responses.message(_("Send forms from ODK Collect, not from a web page."), 403)
    return None


def openrosa_member(cap: Cap) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like cbpar.access.require, for OpenRosa clients: Basic credentials, not a session."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refusal = _from_a_browser()
            if refusal is not None:
                return refusal
            user, refusal = authenticate()
            if refusal is not None:
                return refusal
            # This request's user is the token's owner (the session cookie, if any, is not
            # read): services and audit.record see them as current_user. Flask-Login has no
            # public call that sets the user without starting a session.
            login_manager._update_request_context_with_user(user)
            g.bearer_auth = True  # no Set-Cookie on the answer (cbpar/core/hooks.py)
            project, membership = load_for_member(kwargs.pop("slug"), user)
            if project is None:
                return responses.message(_("There is no such project, or you are not in it."), 404)
            g.project, g.membership = project, membership
            if not membership_can(membership, cap):
                return responses.message(_("Your role in this project does not allow this."), 403)
            return view(*args, project=project, **kwargs)

        wrapped.required_capability = cap  # type: ignore[attr-defined]
        # Not a browser form: ODK Collect cannot send a CSRF token. The app's CSRF hook skips
        # this view (cbpar/core/hooks.py); `_from_a_browser` above does the check instead.
        wrapped.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapped

    return decorator
