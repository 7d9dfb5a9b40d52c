"""The inbox (/me/notifications), opening and marking notifications read, and the settings."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require_login
from cbpar.forms import EmptyForm, check_button
from cbpar.notify import bp, services
from cbpar.notify.forms import NotificationSettingsForm
from cbpar.notify.messages import absolute_url
from cbpar.notify.models import KIND_GROUPS, EventKind
from cbpar.web import form_page, no_store, page_number


def _user() -> Any:
    return current_user._get_current_object()


def _shown(items: list[Any]) -> list[dict[str, Any]]:
    """Each notification with its words in the reader's language and its project."""
    locale = str(get_locale() or "en")
    projects = services.project_timezones(n.project_id for n in items)
    rows = []
    for n in items:
        name, slug, timezone = projects.get(n.project_id, ("", "", None))
        rows.append(
            {
                "n": n,
                "message": services.message_of(n, locale, timezone),
                "project": name,
                "slug": slug,
            }
        )
    return rows


@bp.route("/me/notifications")
@require_login
def inbox():
    user = _user()
    page = services.inbox(user, page_number(request.args.get("page")))
    unread = services.unread_count(user) if page.total else 0
    return no_store(
        render_template(
            "notify/inbox.html",
            page=page,
            rows=_shown(page.items),
            unread=unread,
            button=EmptyForm(),
        )
    )


@bp.route("/me/notifications/<int:notification_id>", methods=["POST"])
@require_login
def open_one(notification_id: int):
    """Mark the notification read and go to its page (a path in this app only). A POST, as
    every change is: the inbox shows each notification as a button in a form."""
    check_button()
    user = _user()
    found = services.own(user, notification_id) or abort(404)
    services.mark_read(user, [found.id])
    return redirect(absolute_url(found.url))


@bp.route("/me/notifications/<int:notification_id>/read", methods=["POST"])
@require_login
def mark_read(notification_id: int):
    check_button()
    services.own(_user(), notification_id) or abort(404)
    services.mark_read(_user(), [notification_id])
    return redirect(url_for("notify.inbox", page=request.form.get("page") or None))


@bp.route("/me/notifications/read-all", methods=["POST"])
@require_login
def read_all():
    check_button()
    count = services.mark_read(_user(), None)
    if count:
        flash(_("All notifications are marked read."), "success")
    return redirect(url_for("notify.inbox"))


def _settings_page(form: NotificationSettingsForm, settings: Any) -> Any:
    fields = {option.data: option for option in form.emailed}
    groups = [(label, [fields[k.value] for k in kinds]) for label, kinds in KIND_GROUPS]
    return form_page(
        "notify/settings.html",
        form=form,
        settings=settings,
        groups=groups,
    )


@bp.route("/me/notifications/settings", methods=["GET", "POST"])
@require_login
def settings():
    user = _user()
    if request.method == "GET":
        stored = services.existing_settings(user)
        form = NotificationSettingsForm(formdata=None)
        form.email.data = (stored.pending_email or stored.email) if stored else ""
        form.email_frequency.data = (
            stored.frequency.value if stored else form.email_frequency.default
        )
        muted = set(stored.muted_kinds or []) if stored else set()
        form.emailed.data = [k.value for k in EventKind if k.value not in muted]
        return _settings_page(form, stored)
    form = NotificationSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, services.existing_settings(user))
    emailed = set(form.emailed.data or [])
    stored = services.set_choices(
        user, form.email_frequency.data, [k.value for k in EventKind if k.value not in emailed]
    )
    if services.change_address(user, form.email.data or "") == "confirm":
        flash(
            _(
                "We sent a link to %(address)s. Open it to start getting e-mail there.",
                address=form.email.data,
            ),
            "success",
        )
    else:
        flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notify.settings"))
