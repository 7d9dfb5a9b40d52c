"""Log-in, log-out, invitations, the profile page, language choice and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from cbpar import audit
from cbpar.auth import bp, services
from cbpar.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    EmptyForm,
    LoginForm,
    ProfileForm,
    SetPasswordForm,
)
from cbpar.auth.models import ApiToken
from cbpar.db import db
from cbpar.extensions import limiter
from cbpar.i18n import SUPPORTED_LOCALES
from cbpar.security import public, require_login
from cbpar.web import invalid, no_store


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot send someone elsewhere after log-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("projects.index")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _limits_off() -> bool:
    # Checked per request (not at start-up) so one process can host apps with different settings.
    return not current_app.config["LOGIN_RATE_LIMIT_ENABLED"]


def _account_key() -> str:
    return "login-account:" + request.form.get("username", "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], exempt_when=_limits_off)
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"], exempt_when=_limits_off)
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            services.start_session(user, remember=form.remember.data)
            audit.record("login", user, actor=user)
            return redirect(_safe_next(request.args.get("next")))
        failed = True
        known = services.find_user(form.username.data)
        # The attempted username is kept only when it names an account (never the password).
        audit.record("login_failed", known, details={"reason": "bad_credentials"})
    elif form.is_submitted():
        return invalid("auth/login.html", form=form)
    return no_store(render_template("auth/login.html", form=form, failed=failed))


@bp.route("/logout", methods=["POST"])
@require_login
def logout():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    services.log_out(current_user._get_current_object())
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], exempt_when=_limits_off)
def accept_invitation(token: str):
    invitation = services.open_invitation(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    form = SetPasswordForm()
    form.username_for_policy = invitation.user.username
    if form.validate_on_submit():
        user = services.accept_invitation(invitation, form.password.data)
        services.start_session(user)
        flash(_("Welcome, %(name)s. Your password is set.", name=user.name), "success")
        return redirect(url_for("projects.index"))
    if form.is_submitted():
        return invalid("auth/invitation.html", form=form, invitee=invitation.user)
    return no_store(render_template("auth/invitation.html", form=form, invitee=invitation.user))


def _profile_page(status: int = 200, **forms):
    user = current_user._get_current_object()
    forms.setdefault("profile_form", ProfileForm(obj=user, formdata=None))
    if forms["profile_form"].locale.data is None:
        forms["profile_form"].locale.data = ""
    forms.setdefault("password_form", ChangePasswordForm(formdata=None))
    forms.setdefault("token_form", ApiTokenForm(formdata=None))
    page = render_template(
        "auth/profile.html",
        tokens=services.active_tokens(user),
        revoke_form=EmptyForm(),
        **forms,
    )
    return no_store(page, status)


@bp.route("/profile")
@require_login
def profile():
    return _profile_page()


@bp.route("/profile", methods=["POST"])
@require_login
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _profile_page(422, profile_form=form)
    current_user.display_name = form.display_name.data.strip()
    current_user.locale = form.locale.data or None
    if form.locale.data:
        session["locale"] = form.locale.data
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profile/password", methods=["POST"])
@require_login
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    form.username_for_policy = user.username
    valid = form.validate_on_submit()
    if valid and not check_password_hash(user.password_hash, form.current.data):
        form.current.errors = [_("This is not your current password.")]
        valid = False
    if not valid:
        return _profile_page(422, password_form=form)
    services.set_password(user, form.password.data)
    services.end_all_sessions(user)
    services.start_session(user)  # this device stays logged in; every other one is logged out
    audit.record("password_changed", user)
    flash(_("Your password is changed. Other devices have been logged out."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profile/tokens", methods=["POST"])
@require_login
def create_token():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _profile_page(422, token_form=form)
    _token, raw = services.create_api_token(current_user._get_current_object(), form.name.data)
    # Shown once, on this response only; it is not stored anywhere in readable form.
    return _profile_page(new_token=raw, token_form=ApiTokenForm(formdata=None))


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@require_login
def revoke_token(token_id: int):
    form = EmptyForm()
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    )
    if token is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    services.revoke_api_token(token, current_user._get_current_object())
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = EmptyForm()
    locale = request.form.get("locale", "")
    if not form.validate_on_submit() or locale not in SUPPORTED_LOCALES:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
    return redirect(_safe_next(request.form.get("next")))
