"""Forms for needs, evidence and vote rounds (ballots are parsed in views: one field per need)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from cbpar.forms import label_choices
from cbpar.needs.models import NeedCategory, NeedStatus, VoteMethod
from cbpar.security import Role

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NeedForm(FlaskForm):
    title = StringField(_l("Need"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=50_000)],
        description=_l("Markdown. Who is affected, how we know, what would help."),
    )
    category = SelectField(_l("Category"), choices=label_choices(NeedCategory))
    village_ids = CheckboxesField(_l("Villages concerned"), coerce=int, choices=[])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=label_choices(NeedStatus))
    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=5000)],
        description=_l("Required when a need is declined."),
    )


class EvidenceForm(FlaskForm):
    record = SelectField(_l("Record"), choices=[], validators=[InputRequired()])


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20_000)])
    method = SelectField(
        _l("Official counting method"),
        choices=label_choices(VoteMethod),
    )
    approval_limit = IntegerField(
        _l("Approval: mark up to"),
        validators=[Optional(), NumberRange(min=1, max=30)],
        description=_l(
            "Only for the approval method; ignored for the others. Leave empty for no limit."
        ),
    )
    need_ids = CheckboxesField(_l("Needs on the ballot (2 to 30)"), coerce=int, choices=[])
    eligible_roles = CheckboxesField(
        _l("Who may vote online"),
        choices=label_choices(r for r in Role if r != Role.OBSERVER),
        default=[Role.COMMITTEE.value],
    )
    paper_ballots = BooleanField(_l("Paper ballots are entered by a facilitator"))
    guest_sheets = IntegerField(
        _l("Paper sheets for guests"),
        validators=[Optional(), NumberRange(min=0, max=1000)],
        default=0,
        description=_l(
            "Villagers without an account who may vote on paper. They are counted apart from "
            "the members. Leave 0 if only members vote."
        ),
    )
    opens_at = DateTimeLocalField(
        _l("Opens"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    closes_at = DateTimeLocalField(
        _l("Closes"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    meeting_id = SelectField(_l("Meeting it belongs to"), coerce=int, choices=[])

    def validate(self, extra_validators: Any = None) -> bool:
        # The approval limit means nothing for the ranked methods: ignore whatever was typed.
        if self.method.data != VoteMethod.APPROVAL.value:
            self.approval_limit.data = None
            self.approval_limit.raw_data = []
            self.approval_limit.process_errors = []
        return super().validate(extra_validators)


class PaperSheetForm(FlaskForm):
    sheet_number = IntegerField(
        _l("Sheet number"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)]
    )


class GuestSheetsForm(FlaskForm):
    number = IntegerField(
        _l("Sheets handed to guests now"),
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )
