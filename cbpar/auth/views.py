"""Log-in, log-out, invitations, the profile page, language choice and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.security import check_password_hash

from cbpar import audit
from cbpar.access import public, require_login
from cbpar.auth import bp, services, throttle
from cbpar.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    SetPasswordForm,
)
from cbpar.db import begin_writing, reads_first
from cbpar.forms import EmptyForm, check_button
from cbpar.i18n import SUPPORTED_LOCALES
from cbpar.projects import services as project_services
from cbpar.web import invalid, no_store


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link cannot send someone elsewhere after log-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("projects.index")


def _get_address(target: str | None) -> str:
    """A same-site address that answers GET: `target` itself, else its nearest parent path
    that does (a form re-rendered after a POST shows a POST-only address), else the home."""
    target = _safe_next(target)
    wanted = urlsplit(target).path
    adapter = current_app.create_url_adapter(request)
    path = wanted
    while adapter is not None and path:
        try:
            adapter.match(path, method="GET")
        except RequestRedirect:
            return path
        except HTTPException:
            path = path.rsplit("/", 1)[0]
            continue
        return target if path == wanted else path
    return url_for("projects.index")


def _login_page(form: LoginForm, status: int = 200, **context):
    response = no_store(render_template("auth/login.html", form=form, **context), status)
    if status == 429:
        response.headers["Retry-After"] = str(context["wait_seconds"])
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
@reads_first
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data
        wait = throttle.login_wait(username)
        if wait:
            # The password is not even checked: the form stays, with how long to wait.
            wait_minutes = throttle.minutes(wait)
            return _login_page(form, 429, wait_seconds=wait, wait_minutes=wait_minutes)
        user = services.authenticate(username, form.password.data)
        # The password was checked in a read transaction; only now take the write lock.
        user_id = user.id if user is not None else None
        begin_writing()
        user = services.get_user(user_id) if user_id is not None else None
        if user is not None:
            throttle.login_succeeded(username)
            services.start_session(user, remember=form.remember.data)
            audit.record("login", user, actor=user)
            return redirect(_safe_next(request.args.get("next")))
        throttle.login_failed(username)
        known = services.find_user(username)
        # The attempted username is kept only when it names an account (never the password).
        audit.record("login_failed", known, details={"reason": "bad_credentials"})
        return _login_page(form, failed=True)
    if form.is_submitted():
        return invalid("auth/login.html", form=form)
    return _login_page(form)


@bp.route("/logout", methods=["POST"])
@require_login
def logout():
    check_button()
    services.log_out(current_user._get_current_object())
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _invitation_page(invitation, status: int = 200, **context):
    context.setdefault("accept_form", EmptyForm())
    page = render_template("auth/invitation.html", invitation=invitation, **context)
    return no_store(page, status)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    """A new person chooses a password; an existing account's owner logs in and accepts.

    The password of an account that has one is never set here, whatever the request says.
    """
    wait = throttle.address_wait()
    if wait:
        minutes = throttle.minutes(wait)
        message = ngettext(
            "Too many tries from here. Try again in %(num)d minute.",
            "Too many tries from here. Try again in %(num)d minutes.",
            minutes,
        )
        title = _("Too many attempts")
        page = render_template("errors/error.html", code=429, title=title, message=message)
        response = no_store(page, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    invitation = services.open_invitation(token)
    if invitation is None:
        throttle.address_failed()  # a guessed or stale link
        return no_store(render_template("auth/invitation_invalid.html"), 404)
    account = services.invitee(invitation)
    me = current_user._get_current_object() if current_user.is_authenticated else None
    if me is not None and (account is None or me.id != account.id):
        # Logged in as someone else: accepting would join the wrong person.
        status = 409 if request.method == "POST" else 200
        return _invitation_page(invitation, status, mode="other_account", account=account)

    if services.sets_password(invitation):
        form = SetPasswordForm()
        form.username_for_policy = invitation.username
        if form.validate_on_submit():
            user = services.account_from_invitation(invitation, form.password.data)
            membership = project_services.accept_invitation(invitation, user)
            services.start_session(user)
            flash(_("Welcome, %(name)s. Your password is set.", name=user.name), "success")
            return redirect(url_for("projects.home", slug=membership.project.slug))
        status = 422 if form.is_submitted() else 200
        return _invitation_page(invitation, status, mode="new_account", form=form)

    if me is None:
        # An existing account: its owner logs in with their own password, then accepts.
        status = 403 if request.method == "POST" else 200
        login_url = url_for("auth.login", next=url_for("auth.accept_invitation", token=token))
        return _invitation_page(
            invitation, status, mode="log_in", account=account, login_url=login_url
        )
    form = EmptyForm()
    if form.validate_on_submit():
        membership = project_services.accept_invitation(invitation, me)
        flash(_("You are now a member of %(project)s.", project=membership.project.name), "success")
        return redirect(url_for("projects.home", slug=membership.project.slug))
    return _invitation_page(invitation, mode="accept", account=account, accept_form=form)


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
    token = services.own_api_token(current_user._get_current_object(), token_id) or abort(404)
    check_button()
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
    # Never back to a POST-only address: that would answer 405 and lose the page.
    return redirect(_get_address(request.form.get("next")))
