"""Pages of delivery: confirming an e-mail address, one-click unsubscribe, and a project's
group chats (coordinators only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from cbpar.access import public, require, require_login
from cbpar.db import writes
from cbpar.forms import EmptyForm, check_button, label_choices
from cbpar.i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from cbpar.notify import bp, delivery, mail
from cbpar.notify.delivery_models import ChatKind
from cbpar.notify.models import EventKind
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import form_page, no_store

# --- confirming an address -------------------------------------------------------------------


@bp.route("/me/notifications/confirm/<token>")
@require_login
@writes  # the link in the e-mail is a GET; it only works for the logged-in owner
def confirm_email(token: str):
    outcome = mail.confirm_address(current_user, token)
    if outcome == "confirmed":
        flash(_("Your e-mail address is confirmed. Notifications will go there."), "success")
        return redirect(url_for("notify.settings"))
    return no_store(render_template("notify/confirm.html", outcome=outcome), 400)


# --- unsubscribe -----------------------------------------------------------------------------


# Exempt from CSRF, this route only: RFC 8058 one-click unsubscribe is a POST made by the
# recipient's mail program, without our session cookie or a form token. The unguessable
# token in the URL (32 random bytes, sent only to that address) is the proof, and the one
# thing the POST can do is stop e-mails, which an attacker gains nothing from forcing.
@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    settings = mail.settings_for_unsubscribe(token)
    if settings is None:
        return no_store(render_template("notify/unsubscribe.html", state="unknown"), 404)
    if request.method == "POST":
        mail.unsubscribe(token)
        return no_store(render_template("notify/unsubscribe.html", state="done", token=token))
    return no_store(render_template("notify/unsubscribe.html", state="ask", token=token))


unsubscribe.csrf_exempt = True  # type: ignore[attr-defined]  # read by cbpar.core.hooks


# --- group chats -----------------------------------------------------------------------------


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _kind_choices() -> list[SelectChoice]:
    return label_choices(EventKind(k) for k in delivery.ANNOUNCE_KINDS)


class ChannelForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[Length(max=120)],
        description=_l("So you can tell the groups apart, e.g. the village's WeCom group."),
    )
    url = StringField(
        _l("Webhook address"),
        validators=[
            InputRequired(message=_l("Paste the group robot's webhook address.")),
            Length(max=2000),
        ],
        description=delivery.EXAMPLES,
    )
    locale = SelectField(
        _l("Language of the messages"),
        choices=[SelectChoice(code, LOCALE_NAMES[code]) for code in SUPPORTED_LOCALES],
        default="zh_Hans",
    )
    kinds = CheckboxesField(
        _l("Announce"), choices=_kind_choices, default=list(delivery.ANNOUNCE_KINDS)
    )


class KindsForm(FlaskForm):
    kinds = CheckboxesField(_l("Announce"), choices=_kind_choices)


def _channels_page(project: Project, form: ChannelForm):
    rows = delivery.channels(project)
    kinds_forms = {}
    for channel in rows:
        kinds_form = KindsForm(formdata=None, prefix=f"c{channel.id}")
        kinds_form.kinds.data = list(channel.kinds or [])
        kinds_forms[channel.id] = kinds_form
    return form_page(
        "notify/channels.html",
        project=project,
        form=form,
        rows=rows,
        kinds_forms=kinds_forms,
        masked=delivery.masked,
        action_form=EmptyForm(),
        locale_names=LOCALE_NAMES,
        chat_kind_label=ChatKind.label_of,
    )


@bp.route("/projects/<slug>/notifications/channels", methods=["GET", "POST"])
@require(Cap.MANAGE_PROJECT)
def channels(project: Project):
    form = ChannelForm()
    if form.validate_on_submit():
        try:
            delivery.add_channel(
                project,
                form.url.data,
                name=form.name.data or "",
                locale=form.locale.data,
                kinds=list(form.kinds.data or []),
                by_id=current_user.id,
            )
        except delivery.ChannelError as error:
            form.url.errors = [*form.url.errors, str(error)]
        else:
            flash(_("Group chat added. Send a test message to check it."), "success")
            return redirect(url_for("notify.channels", slug=project.slug))
    return _channels_page(project, form)


def _channel(project: Project, channel_id: int):
    return delivery.get_channel(project, channel_id) or abort(404)


@bp.route("/projects/<slug>/notifications/channels/<int:channel_id>/kinds", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def channel_kinds(project: Project, channel_id: int):
    channel = _channel(project, channel_id)
    form = KindsForm(prefix=f"c{channel.id}")
    if not form.validate_on_submit():
        abort(400)
    channel.kinds = [k for k in delivery.ANNOUNCE_KINDS if k in (form.kinds.data or [])]
    flash(_("Saved."), "success")
    return redirect(url_for("notify.channels", slug=project.slug))


@bp.route("/projects/<slug>/notifications/channels/<int:channel_id>/active", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def channel_active(project: Project, channel_id: int):
    channel = _channel(project, channel_id)
    check_button()
    channel.active = not channel.active
    flash(_("Group chat turned on.") if channel.active else _("Group chat turned off."), "success")
    return redirect(url_for("notify.channels", slug=project.slug))


@bp.route("/projects/<slug>/notifications/channels/<int:channel_id>/delete", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def channel_delete(project: Project, channel_id: int):
    channel = _channel(project, channel_id)
    check_button()
    delivery.delete_channel(channel)
    flash(_("Group chat removed."), "success")
    return redirect(url_for("notify.channels", slug=project.slug))


@bp.route("/projects/<slug>/notifications/channels/<int:channel_id>/test", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def channel_test(project: Project, channel_id: int):
    channel = _channel(project, channel_id)
    check_button()
    if not channel.active:
        flash(_("Turn the group chat on first."), "warning")
    else:
        # Queued, not sent here: a slow chat service must never hang a page.
        delivery.queue_test(channel, project)
        flash(_("A test message will reach the group within a minute."), "success")
    return redirect(url_for("notify.channels", slug=project.slug))
