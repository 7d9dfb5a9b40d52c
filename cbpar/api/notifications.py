"""API endpoints for the caller's notifications and settings: /me/notifications, PATCH /me."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require_login
from cbpar.api import bp
from cbpar.api.writing import answer, bad_request, check_fields, json_body, page_of
from cbpar.i18n import SUPPORTED_LOCALES
from cbpar.notify import services as notify
from cbpar.notify.models import EmailFrequency, Notification


def _user() -> Any:
    return current_user._get_current_object()


@bp.route("/me/notifications")
@require_login
def my_notifications():
    """The caller's notifications, unread first, each in the caller's language."""
    user = _user()
    locale = user.locale or str(get_locale() or "en")
    query = notify.inbox_query(user)
    # The projects of one page, read once (their names and time zones).
    cache: dict[int, tuple[str, str, str]] = {}

    def to_json(n: Notification) -> dict[str, Any]:
        if n.project_id is not None and n.project_id not in cache:
            cache.update(notify.project_timezones([n.project_id]))
        name, slug, timezone = cache.get(n.project_id or 0, (None, None, None))
        message = notify.message_of(n, locale, timezone, base_url=request.host_url)
        return {
            "id": n.id,
            "kind": n.kind,
            "project": slug,
            "project_name": name,
            "title": message.subject,
            "text": message.text,
            "url": message.url,
            "created_at": n.created_at.isoformat(),
            "read": n.read_at is not None,
        }

    return page_of(query, to_json, "notifications")


def _ids(body: dict[str, Any]) -> list[int] | None:
    """The ids asked for, or None for all; a 400 for anything else."""
    check_fields(body, ("ids", "all"))
    if "all" in body and "ids" in body:
        raise bad_request("body", _('Send either "ids" or "all": true, not both.'))
    if "all" in body:
        if body["all"] is not True:
            raise bad_request("all", _("all: true marks every notification read."))
        return None
    ids = body.get("ids")
    if (
        not isinstance(ids, list)
        or len(ids) > 1000
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63 for i in ids)
    ):
        raise bad_request("ids", _("ids: a list of notification ids (whole numbers)."))
    return ids


@bp.route("/me/notifications/read", methods=["POST"])
@require_login
def read_notifications():
    """Mark notifications read; ids of notifications that are not the caller's are ignored."""
    user = _user()
    ids = _ids(json_body())
    marked = notify.mark_read(user, ids)
    return answer({"marked": marked, "unread": notify.unread_count(user)})


def _me_settings(user: Any) -> dict[str, Any]:
    stored = notify.existing_settings(user)
    return {
        "username": user.username,
        "locale": user.locale,
        "email": stored.email if stored else None,
        "pending_email": stored.pending_email if stored else None,
        "email_frequency": stored.frequency.value if stored else EmailFrequency.IMMEDIATE.value,
    }


@bp.route("/me", methods=["PATCH"])
@require_login
def update_me():
    """Change the caller's e-mail address (pending until confirmed), frequency or language."""
    user = _user()
    body = json_body()
    check_fields(body, ("email", "email_frequency", "locale"))
    errors: dict[str, list[str]] = {}
    email = body.get("email")
    if "email" in body:
        if email is not None and not isinstance(email, str):
            errors["email"] = [_("email: a text, or null for no e-mail.")]
        elif email and notify.address_problem(email.strip()):
            errors["email"] = [str(notify.address_problem(email.strip()))]
    frequency = body.get("email_frequency")
    if "email_frequency" in body and frequency not in {f.value for f in EmailFrequency}:
        errors["email_frequency"] = [_("email_frequency: one of immediate, daily, weekly, never.")]
    locale = body.get("locale")
    if "locale" in body and locale is not None and locale not in SUPPORTED_LOCALES:
        errors["locale"] = [
            _("locale: one of %(list)s, or null.", list=", ".join(SUPPORTED_LOCALES))
        ]
    if errors:
        first = next(iter(errors))
        raise bad_request(first, errors[first][0], errors=errors)
    if "locale" in body:
        user.locale = locale
    if "email_frequency" in body:
        notify.settings_for(user).email_frequency = frequency
    if "email" in body:
        notify.change_address(user, email or "")
    return answer(_me_settings(user))
