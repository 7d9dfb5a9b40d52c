"""The notification settings form (the page and PATCH /api/v1/me share its rules)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from cbpar.forms import label_choices
from cbpar.notify.models import EmailFrequency, EventKind
from cbpar.notify.services import address_problem


def check_address(_form: Any, field: StringField) -> None:
    value = (field.data or "").strip()
    if value:
        problem = address_problem(value)
        if problem:
            raise ValidationError(str(problem))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NotificationSettingsForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[Length(max=254), check_address],
        description=_l(
            "We send a link to a new address; it is used only after you open the link. "
            "Leave it empty to get no e-mail."
        ),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    email_frequency = RadioField(
        _l("How often to e-mail you"),
        choices=label_choices(EmailFrequency),
        default=EmailFrequency.IMMEDIATE.value,
        validators=[InputRequired(message=_l("Choose how often."))],
    )
    emailed = CheckboxesField(
        _l("E-mail me about"),
        choices=label_choices(EventKind),
        description=_l("Everything always appears in your notifications in the app."),
    )
