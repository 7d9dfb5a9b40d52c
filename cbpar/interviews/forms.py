"""The interview form, consent included."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from cbpar.forms import label_choices
from cbpar.interviews.models import ChildAssent, ConsentGiver, ConsentMethod, InterviewKind


class InterviewForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=label_choices(InterviewKind))
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    interviewee_role = StringField(
        _l("Interviewee's role"),
        validators=[DataRequired(), Length(max=200)],
        description=_l(
            "Their role, never their name: e.g. village committee director, grandmother."
        ),
    )
    language = StringField(_l("Language"), validators=[Optional(), Length(max=80)])
    household_code = StringField(
        _l("Household code"),
        validators=[Optional(), Length(max=24)],
        description=_l("For a family interview: the household's code, e.g. SH-003."),
    )
    involves_minor = BooleanField(_l("A child (under 18) takes part or is the subject"))
    consent_method = SelectField(_l("Consent given"), choices=label_choices(ConsentMethod))
    consent_given_by = SelectField(_l("Consent given by"), choices=label_choices(ConsentGiver))
    child_assent = SelectField(_l("Child's assent"), choices=label_choices(ChildAssent))
    consent_on = DateField(_l("Consent date"), validators=[Optional()])
    covers_notes = BooleanField(_l("Consent covers written notes"))
    covers_audio = BooleanField(_l("Consent covers audio recording"))
    covers_quotes = BooleanField(_l("Consent covers quotes in publications"))
    covers_photos = BooleanField(_l("Consent covers photos"))
    notes = TextAreaField(
        _l("Notes"),
        validators=[Optional(), Length(max=200_000)],
        description=_l("Markdown. Use codes and roles, not names."),
        render_kw={"rows": 14},
    )
    version = HiddenField()  # the version the form was loaded with (editing only)

    FIELDS = (
        "kind",
        "held_on",
        "interviewee_role",
        "language",
        "involves_minor",
        "consent_method",
        "consent_given_by",
        "child_assent",
        "consent_on",
        "covers_notes",
        "covers_audio",
        "covers_quotes",
        "covers_photos",
        "notes",
    )

    def data_dict(self) -> dict:
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["notes"] = (data["notes"] or "").replace("\r\n", "\n")
        data["household_code"] = (self.household_code.data or "").strip()
        return data
