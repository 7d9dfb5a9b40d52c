"""The forms of services and care: child (consent included), contact, programme, session."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from cbpar.care import services
from cbpar.care.models import ChildSex, ContactKind, HomeVisits, ProgrammeKind, VolunteerKind
from cbpar.care.programmes import PROGRAMME_FIELDS
from cbpar.forms import label_choices, location_accuracy, optional_int
from cbpar.mapping.models import Caregiver, MigrantParents

MONTHS = [SelectChoice("", _l("Not known"))] + [SelectChoice(str(m), str(m)) for m in range(1, 13)]


class ChildForm(FlaskForm):
    household_code = StringField(
        _l("Household code"),
        validators=[DataRequired(), Length(max=24)],
        description=_l("The child's household, e.g. SH-012. The child's code follows from it."),
    )
    birth_year = IntegerField(
        _l("Year of birth"), validators=[InputRequired(), NumberRange(min=1900, max=9999)]
    )
    birth_month = SelectField(
        _l("Month of birth"), choices=MONTHS, coerce=optional_int, validate_choice=False
    )
    sex = SelectField(_l("Sex"), choices=label_choices(ChildSex))
    school = StringField(_l("School"), validators=[Optional(), Length(max=200)])
    grade = StringField(
        _l("Grade"),
        validators=[Optional(), Length(max=40)],
        description=_l("e.g. Grade 3, middle class of kindergarten."),
    )
    parents_away = SelectField(_l("Parents working away"), choices=label_choices(MigrantParents))
    away_since = DateField(_l("Away since"), validators=[Optional()])
    home_visits = SelectField(_l("How often they come home"), choices=label_choices(HomeVisits))
    caregiver = SelectField(_l("Main caregiver"), choices=label_choices(Caregiver))
    session_name = StringField(
        _l("Name used in sessions"),
        validators=[Optional(), Length(max=80)],
        description=_l(
            "Optional. Seen only by the field team and printed only on attendance sheets."
        ),
    )
    consent_on = DateField(_l("Guardian's consent for services, date"), validators=[Optional()])
    consent_given_by = StringField(
        _l("Consent given by"),
        validators=[Optional(), Length(max=120)],
        description=_l("Their role, not their name: e.g. grandmother (guardian)."),
    )
    assent_on = DateField(
        _l("Child's own agreement, date"),
        validators=[Optional()],
        description=_l("Asked from age 8."),
    )
    version = HiddenField()

    FIELDS = services.FIELDS

    def data_dict(self) -> dict:
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["household_code"] = (self.household_code.data or "").strip()
        return data


class ContactForm(FlaskForm):
    kind = SelectField(_l("Kind of contact"), choices=label_choices(ContactKind))
    on = DateField(_l("Date"), validators=[DataRequired()])
    minutes = IntegerField(_l("Minutes"), validators=[Optional(), NumberRange(min=0, max=24 * 60)])
    with_whom = StringField(
        _l("With whom"),
        validators=[Optional(), Length(max=120)],
        description=_l("Roles, not names: e.g. mother, class teacher."),
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=5000)],
        description=_l("A few lines. Seen only by the field team."),
        render_kw={"rows": 5},
    )
    issues = StringField(
        _l("Issues flagged"),
        validators=[Optional(), Length(max=300)],
        description=_l("e.g. conflict during the call, the child seems withdrawn."),
    )
    follow_up_on = DateField(_l("Follow up by"), validators=[Optional()])
    lat = FloatField(
        _l("Latitude"),
        validators=[
            Optional(),
            NumberRange(-90, 90, message=_l("Latitude is between -90 and 90.")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[
            Optional(),
            NumberRange(-180, 180, message=_l("Longitude is between -180 and 180.")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    location_accuracy_m = location_accuracy()

    FIELDS = services.CONTACT_FIELDS

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if (self.lat.data is None) != (self.lon.data is None):
            self.lon.errors = [
                *self.lon.errors,
                _l("Give both latitude and longitude, or neither."),
            ]
            return False
        return True

    def data_dict(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


EVERY_DAYS = [Optional(), NumberRange(min=1, max=366)]


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=label_choices(ProgrammeKind))
    village_id = SelectField(_l("Village"), coerce=optional_int, validate_choice=False)
    facility_id = SelectField(
        _l("Site"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("e.g. the primary school or the kindergarten."),
    )
    initiative_id = SelectField(
        _l("Initiative it delivers"), coerce=optional_int, validate_choice=False
    )
    schedule = StringField(
        _l("Schedule"),
        validators=[Optional(), Length(max=200)],
        description=_l("In words, e.g. weekdays at 16:30."),
    )
    starts_on = DateField(_l("Starts"), validators=[Optional()])
    ends_on = DateField(_l("Ends"), validators=[Optional()])
    family_call_days = IntegerField(
        _l("A call with a parent at least every … days"), validators=EVERY_DAYS
    )
    home_visit_days = IntegerField(_l("A home visit at least every … days"), validators=EVERY_DAYS)
    teacher_visit_days = IntegerField(
        _l("A class-teacher visit at least every … days"),
        validators=EVERY_DAYS,
        description=_l("Once a semester: 183 days."),
    )
    talk_days = IntegerField(
        _l("A heart-to-heart talk at least every … days"), validators=EVERY_DAYS
    )
    version = HiddenField()

    FIELDS = PROGRAMME_FIELDS
    TARGETS = {
        "family_call": "family_call_days",
        "home_visit": "home_visit_days",
        "teacher_visit": "teacher_visit_days",
        "talk": "talk_days",
    }

    def set_choices(self, choices: dict[str, list[tuple[int, str]]]) -> None:
        for name in ("village_id", "facility_id", "initiative_id"):
            getattr(self, name).choices = [SelectChoice("", "—")] + [
                SelectChoice(str(i), label) for i, label in choices[name]
            ]

    def data_dict(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}

    def targets(self) -> dict[str, int | None]:
        return {kind: getattr(self, field).data for kind, field in self.TARGETS.items()}


class EnrolForm(FlaskForm):
    child_code = StringField(
        _l("Child's code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("e.g. SH-012-1."),
    )
    starts_on = DateField(_l("From"), validators=[DataRequired()])


class SessionForm(FlaskForm):
    on = DateField(_l("Date"), validators=[DataRequired()])
    starts = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends = TimeField(_l("Ends at"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    facilitators = StringField(
        _l("Facilitators"),
        validators=[Optional(), Length(max=200)],
        description=_l("Roles or first names of the staff and volunteers who led it."),
    )
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=200)])
    materials = StringField(
        _l("Materials handed out"),
        validators=[Optional(), Length(max=300)],
        description=_l("e.g. Parenting Education Handbook × 12."),
    )
    guardians = IntegerField(
        _l("Guardians who came"), validators=[Optional(), NumberRange(min=0, max=10_000)]
    )
    sheet_number = IntegerField(
        _l("Paper sheet number"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
        description=_l("When entering a paper attendance sheet: the number printed on it."),
    )
    notes = TextAreaField(
        _l("Notes"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Seen only by the field team."),
        render_kw={"rows": 4},
    )


HOURS = [InputRequired(), NumberRange(min=0, max=24)]


class VolunteerForm(FlaskForm):
    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("How the team knows them, e.g. Aunt Wang (Shuanghe)."),
    )
    kind = SelectField(_l("Kind"), choices=label_choices(VolunteerKind))
    village_id = SelectField(_l("Village"), coerce=optional_int, validate_choice=False)
    active_from = DateField(_l("Active from"), validators=[Optional()])
    active_to = DateField(_l("Active until"), validators=[Optional()])

    def set_villages(self, villages: list[tuple[int, str]]) -> None:
        self.village_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(i), label) for i, label in villages
        ]


class TrainingForm(FlaskForm):
    course = StringField(_l("Course"), validators=[DataRequired(), Length(max=200)])
    on = DateField(_l("Date"), validators=[DataRequired()])
    hours = DecimalField(_l("Hours"), places=1, validators=HOURS)


class DiaryForm(FlaskForm):
    on = DateField(_l("Date"), validators=[DataRequired()])
    services = IntegerField(
        _l("Number of services"),
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
        description=_l("e.g. children helped with homework, visits made."),
    )
    hours = DecimalField(_l("Hours"), places=1, validators=HOURS)
    reflection = TextAreaField(
        _l("Gains and experiences"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Saved as a reflection note among the team's memos."),
        render_kw={"rows": 6},
    )
    session_id = HiddenField()
