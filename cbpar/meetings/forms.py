"""Forms for meetings, guests, minutes, decisions, action items and settings."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from cbpar.forms import label_choices, optional_int
from cbpar.i18n import zone_name
from cbpar.meetings.models import (
    ActionStatus,
    AgeGroup,
    ApprovalMode,
    Gender,
    GuestRole,
    MeetingKind,
)

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
MAX_MARKDOWN = 100_000


class MeetingForm(FlaskForm):
    kind = SelectField(
        _l("Kind of meeting"),
        choices=lambda: label_choices(MeetingKind),
        validators=[InputRequired()],
    )
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    village_id = SelectField(_l("Village"), coerce=optional_int, validators=[Optional()])
    agenda = TextAreaField(
        _l("Agenda"),
        validators=[Optional(), Length(max=MAX_MARKDOWN)],
        description=_l("Markdown: one agenda item per line, starting with “1.” or “-”."),
    )
    version = HiddenField()  # the meeting's version when the edit form was loaded

    def __init__(self, *args: Any, villages: list | None = None, timezone: str = "", **kw: Any):
        super().__init__(*args, **kw)
        self.village_id.choices = [SelectChoice("", _l("No particular village"))] + [
            SelectChoice(str(v.id), v.name) for v in villages or []
        ]
        if timezone:
            note = _l("In the project's time zone (%(tz)s).", tz=zone_name(timezone))
            self.starts_at.description = note
            self.ends_at.description = note

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if field.data is not None and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def data_dict(self) -> dict[str, Any]:
        """Times stay naive here: the view turns them into UTC in the project's time zone."""
        return {
            "kind": MeetingKind(self.kind.data),
            "title": self.title.data.strip(),
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
            "place": (self.place.data or "").strip(),
            "village_id": self.village_id.data,
            "agenda": (self.agenda.data or "").replace("\r\n", "\n"),
        }


class GuestForm(FlaskForm):
    name = StringField(
        _l("Name (optional)"),
        validators=[Optional(), Length(max=120)],
        description=_l("Leave empty if the person prefers not to be named."),
    )
    role = SelectField(
        _l("Role"), choices=lambda: label_choices(GuestRole), validators=[InputRequired()]
    )
    gender = SelectField(
        _l("Gender"), choices=lambda: label_choices(Gender), validators=[InputRequired()]
    )
    age_group = SelectField(
        _l("Age group"),
        choices=lambda: [SelectChoice("", _l("Not known")), *label_choices(AgeGroup)],
        validators=[Optional()],
    )

    def data_dict(self) -> dict[str, Any]:
        return {
            "name": (self.name.data or "").strip(),
            "role": GuestRole(self.role.data),
            "gender": Gender(self.gender.data),
            "age_group": AgeGroup(self.age_group.data) if self.age_group.data else None,
        }


class MinutesForm(FlaskForm):
    body = TextAreaField(_l("Minutes"), validators=[Length(max=MAX_MARKDOWN)])
    version = HiddenField()
    reason = StringField(
        _l("Reason for the correction"),
        validators=[Optional(), Length(max=500)],
        description=_l("Approved minutes change only with a reason; it is kept in the history."),
    )


class DecisionForm(FlaskForm):
    text = TextAreaField(
        _l("Decision"),
        validators=[InputRequired(), Length(max=2000)],
        description=_l("A short statement of what was decided."),
    )


class ActionItemForm(FlaskForm):
    what = StringField(_l("What"), validators=[InputRequired(), Length(max=500)])
    assignee_id = SelectField(_l("Who (a member)"), coerce=optional_int, validators=[Optional()])
    assignee_name = StringField(
        _l("Or someone without an account"),
        validators=[Optional(), Length(max=120)],
        description=_l("For example: the village doctor, the school head."),
    )
    due_on = DateField(_l("Due"), validators=[Optional()])

    def __init__(self, *args: Any, members: list | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.assignee_id.choices = [SelectChoice("", _l("Nobody chosen"))] + [
            SelectChoice(str(m.user_id), m.user.name) for m in members or []
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.assignee_id.data is None and not (self.assignee_name.data or "").strip():
            # Not an inline validator: Optional() would skip it when the name is empty.
            message = _l("Choose a member or name the person.")
            self.assignee_name.errors = [*self.assignee_name.errors, message]
            ok = False
        return ok

    def data_dict(self) -> dict[str, Any]:
        return {
            "what": self.what.data.strip(),
            "assignee_id": self.assignee_id.data,
            "assignee_name": (self.assignee_name.data or "").strip(),
            "due_on": self.due_on.data,
        }


class ActionStatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=lambda: label_choices(ActionStatus),
        validators=[InputRequired()],
    )

    def value(self) -> ActionStatus:
        return ActionStatus(self.status.data)


class DiscussedForm(FlaskForm):
    record = SelectField(_l("Record discussed"), validators=[InputRequired()])

    def __init__(self, *args: Any, groups: list | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.record.choices = {str(label): options for label, options in groups or []}


class MeetingSettingsForm(FlaskForm):
    approval = SelectField(
        _l("Who approves minutes"),
        choices=lambda: label_choices(ApprovalMode),
        validators=[InputRequired()],
    )

    def value(self) -> ApprovalMode:
        return ApprovalMode(self.approval.data)
