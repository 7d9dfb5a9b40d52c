"""Passwords, log-in sessions that can be ended, invitations and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache
from importlib.resources import files

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from cbpar import audit
from cbpar.auth.models import ApiToken, Invitation, User
from cbpar.db import db, utcnow
from cbpar.security import Role

TOKEN_PREFIX = "cbp_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- passwords -------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    text = files("cbpar.auth").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is refused, in the user's language, or None if it is acceptable."""
    minimum = current_app.config["MIN_PASSWORD_LENGTH"]
    if len(password) < minimum:
        return _("Use at least %(n)d characters.", n=minimum)
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return _("This password is too common or too easy to guess; choose another.")
    if username and username.lower() in lowered:
        return _("The password must not contain the username.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def find_user(username: str) -> User | None:
    name = username.strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == name))


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method=method)


def authenticate(username: str, password: str) -> User | None:
    """The user if the credentials are right; the same work and answer otherwise."""
    user = find_user(username)
    if user is None or not user.password_hash:
        # Spend the same time hashing so response time does not reveal which usernames exist.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


# --- log-in sessions ---------------------------------------------------------------------------


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so ended sessions stay ended."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def start_session(user: User, remember: bool = False) -> None:
    locale = session.get("locale")
    session.clear()  # a fresh session at log-in: nothing carries over but the language
    if locale:
        session["locale"] = locale
        if not user.locale:
            user.locale = locale
    login_user(user, remember=remember)
    user.last_login_at = utcnow()


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie this user has, on every device."""
    user.session_version += 1


def log_out(user: User) -> None:
    locale = session.get("locale") or user.locale
    end_all_sessions(user)
    audit.record("logout", user, actor=user)
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale  # the login page stays in the language the person chose


# --- invitations -----------------------------------------------------------------------------
#
# An invitation asks someone to join a project with a role. For a new person it creates the
# account with the password they choose. For an existing account it never touches the
# password: its owner logs in with their own and accepts (cbpar/projects/services.py makes
# the membership). Accepting never enables a disabled account.


def new_invitation(
    username: str,
    display_name: str,
    project_id: int,
    role: Role,
    created_by: User | None,
    account: User | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its secret token (kept only as a hash).

    `account` is the existing account it is for, if any; otherwise the username is only
    remembered, and the account is made on accepting.
    """
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        user=account,
        username=username.strip(),
        display_name=display_name.strip(),
        project_id=project_id,
        role=role,
        token_hash=_digest(raw),
        created_by_id=getattr(created_by, "id", None),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, raw


def close_invitation(invitation: Invitation) -> None:
    """The link stops working (accepted, replaced or cancelled)."""
    invitation.used_at = utcnow()


def invitee(invitation: Invitation) -> User | None:
    """The account the invitation is for, or None if it is for a new person."""
    if invitation.user is not None:
        return invitation.user
    return find_user(invitation.username)  # taken since: the invitation is for that account


def _may_set_password(invitation: Invitation, account: User | None) -> bool:
    """Only an account that has never had a password, and that belongs to no other project."""
    if account is None:
        return True
    return (
        not account.password_hash
        and not account.is_admin
        and account.active
        and all(m.project_id == invitation.project_id for m in account.memberships)
    )


def open_invitation(raw: str) -> Invitation | None:
    """The invitation for this token if it can still be used, else None."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _digest(raw)))
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.expires_at < utcnow()
        or invitation.project_id is None
        or invitation.role is None
    ):
        return None
    account = invitee(invitation)
    if account is not None and not account.active:
        return None  # only a site administrator enables an account
    if (
        account is not None
        and not account.password_hash
        and not _may_set_password(invitation, account)
    ):
        return None  # nobody could accept it: no password to log in with, none may be set
    return invitation


def sets_password(invitation: Invitation) -> bool:
    """Does accepting this invitation choose a password (a new account), or log in?"""
    account = invitee(invitation)
    return account is None or _may_set_password(invitation, account)


class InvitationRefused(Exception):
    """The invitation cannot set a password for this account."""


def account_from_invitation(invitation: Invitation, password: str) -> User:
    """Create the invited account with this password (or give a password-less one its first).

    Refused for an account that has or had a password, whatever the request says: its owner
    logs in instead. Never enables a disabled account.
    """
    account = invitee(invitation)
    if not _may_set_password(invitation, account):
        raise InvitationRefused
    if account is None:
        account = User(username=invitation.username, display_name=invitation.display_name)
        db.session.add(account)
        set_password(account, password)
        db.session.flush()
        audit.record("user_created", account, actor=account, details={"by": "invitation"})
    else:
        set_password(account, password)
        end_all_sessions(account)
        audit.record("password_set", account, actor=account, details={"by": "invitation"})
    return account


# --- API tokens ------------------------------------------------------------------------------


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(raw), prefix=raw[:10])
    db.session.add(token)
    db.session.flush()
    audit.record("api_token_created", token, actor=user, details={"name": name})
    return token, raw


def user_for_token(raw: str) -> User | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token.user


def revoke_api_token(token: ApiToken, by: User) -> None:
    token.revoked_at = utcnow()
    audit.record("api_token_revoked", token, actor=by, details={"name": token.name})


def active_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def own_api_token(user: User, token_id: int) -> ApiToken | None:
    """One of the user's own tokens, or None (another person's token is not theirs to see)."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
