"""Forms for households and facilities: every check a field worker's typing needs."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from cbpar.forms import label_choices, location_accuracy, optional_int
from cbpar.mapping.geo import haversine_km
from cbpar.mapping.models import Caregiver, FacilityKind, FacilityStatus, MigrantParents

MAX_COUNT = 99  # a plausibility bound on people in one household
# A household point farther than this from its village's centre is probably mistyped (or its
# latitude and longitude swapped): the form asks before saving it.
FAR_FROM_VILLAGE_KM = 5.0

HOUSEHOLD_FIELDS = (
    "village_id",
    "field_ref",
    "lat",
    "lon",
    "location_accuracy_m",
    "members",
    "children_under_6",
    "children_6_17",
    "left_behind_children",
    "migrant_parents",
    "caregiver",
    "visited_on",
    "consent_on",
    "consent_given_by",
    "notes",
)
FACILITY_FIELDS = (
    "name",
    "kind",
    "status",
    "village_id",
    "lat",
    "lon",
    "location_accuracy_m",
    "capacity",
    "opened_on",
    "notes",
)


def _count(label: Any) -> IntegerField:
    """A count of people; blank means not known (stored as None, shown as "unknown")."""
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(0, MAX_COUNT, message=_l("Enter a whole number from 0 to 99.")),
        ],
        description=_l("Leave blank if not known."),
        render_kw={"inputmode": "numeric", "min": 0, "step": 1},
    )


def _latitude() -> FloatField:
    return FloatField(
        _l("Latitude"),
        validators=[
            InputRequired(message=_l("Enter a latitude in decimal degrees.")),
            NumberRange(-90, 90, message=_l("Latitude is between -90 and 90.")),
        ],
        description=_l("Decimal degrees (WGS 84), e.g. 42.36301."),
        render_kw={"inputmode": "decimal"},
    )


def _longitude() -> FloatField:
    return FloatField(
        _l("Longitude"),
        validators=[
            InputRequired(message=_l("Enter a longitude in decimal degrees.")),
            NumberRange(-180, 180, message=_l("Longitude is between -180 and 180.")),
        ],
        description=_l("Decimal degrees (WGS 84), e.g. 119.83512."),
        render_kw={"inputmode": "decimal"},
    )


class NotInFuture:
    """A date no later than the form's `today` (the project's local date)."""

    def __call__(self, form: Any, field: DateField) -> None:
        today: date = getattr(form, "today", None) or date.today()
        if field.data is not None and field.data > today:
            raise ValidationError(_l("This date is in the future."))


class HouseholdForm(FlaskForm):
    village_id = SelectField(_l("Village"), coerce=optional_int, validators=[InputRequired()])
    field_ref = StringField(
        _l("Field team's own household number"),
        validators=[Optional(), Length(max=64)],
        description=_l(
            "The number on the field team's own forms, if any (e.g. KoBo hh_code). "
            "Seen only by the field team."
        ),
    )
    lat = _latitude()
    lon = _longitude()
    location_accuracy_m = location_accuracy()
    members = _count(_l("Members of the household"))
    children_under_6 = _count(_l("Children under 6"))
    children_6_17 = _count(_l("Children 6 to 17"))
    left_behind_children = _count(_l("Left-behind children"))
    # A new household starts at "unknown / not asked": an unanswered question is never saved
    # as a real answer. (The API, which reuses this form, must still send a value.)
    migrant_parents = SelectField(
        _l("Parents working away"),
        choices=label_choices(MigrantParents),
        default=MigrantParents.UNKNOWN.value,
        validators=[InputRequired()],
    )
    caregiver = SelectField(
        _l("Main caregiver of the children"),
        choices=label_choices(Caregiver),
        default=Caregiver.UNKNOWN.value,
        validators=[InputRequired()],
    )
    visited_on = DateField(_l("Date of visit"), validators=[Optional(), NotInFuture()])
    consent_on = DateField(
        _l("Consent to be recorded, date"), validators=[Optional(), NotInFuture()]
    )
    consent_given_by = StringField(
        _l("Consent given by"),
        validators=[Optional(), Length(max=120)],
        description=_l("A role, not a name: e.g. grandmother, mother."),
    )
    notes = TextAreaField(
        _l("Notes (sensitive)"),
        validators=[Optional(), Length(max=10000)],
        description=_l("Plain text. Seen only by the field team; never write names here."),
    )
    version = HiddenField()
    # Sent by the "Save anyway" button the page shows next to its warnings.
    save_anyway = BooleanField(_l("Save anyway"))

    def __init__(
        self,
        *args: Any,
        villages: list[Any] = (),
        today: date | None = None,
        project: Any = None,
        record: Any = None,
        warn: bool = False,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.village_id.choices = [SelectChoice(v.id, v.name) for v in villages]
        self.villages = {v.id: v for v in villages}
        self.today = today or date.today()
        # The project and the household being edited (None for a new one), so the field
        # team's number is checked as unique in its village by the form, for pages and API.
        self.project = project
        self.record = record
        # Pages ask before saving answers that look inconsistent (`warnings`); the API, which
        # has no one to ask, saves them as sent.
        self.warn = warn
        self.warnings: list[str] = []

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return ok
        known = self.children_under_6.data is not None and self.children_6_17.data is not None
        children = (self.children_under_6.data + self.children_6_17.data) if known else None
        left_behind = self.left_behind_children.data
        if children is not None and left_behind is not None and left_behind > children:
            self.left_behind_children.errors = [
                *self.left_behind_children.errors,
                _l(
                    "Left-behind children cannot be more than the children under 18 (%(n)d).",
                    n=children,
                ),
            ]
            ok = False
        if self.members.data is not None and self.members.data < max(children or 0, 1):
            self.members.errors = [
                *self.members.errors,
                _l("A household has at least one member, and at least as many as its children."),
            ]
            ok = False
        if self.consent_given_by.data and not self.consent_on.data:
            self.consent_on.errors = [
                *self.consent_on.errors,
                _l("Give the date consent was given."),
            ]
            ok = False
        if not (self._field_ref_free() and ok):
            return False
        if self.warn:
            self.warnings = self.answer_warnings()
            return not self.warnings or bool(self.save_anyway.data)
        return True

    def answer_warnings(self) -> list[str]:
        """Answers that may well be true but look like a slip: the page asks before saving."""
        warnings = []
        away = self.migrant_parents.data
        if (self.left_behind_children.data or 0) > 0 and away == MigrantParents.NONE:
            warnings.append(
                _(
                    "Left-behind children are counted, but neither parent is said to work away."
                    " Check both answers."
                )
            )
        if self.caregiver.data == Caregiver.PARENTS and away == MigrantParents.BOTH:
            warnings.append(
                _(
                    "The parents are said to be the main caregivers, but both parents work away."
                    " Check both answers."
                )
            )
        village = self.villages.get(self.village_id.data)
        centre = (getattr(village, "center_lat", None), getattr(village, "center_lon", None))
        if None not in centre and self.lat.data is not None and self.lon.data is not None:
            km = haversine_km(self.lat.data, self.lon.data, *centre)
            if km > FAR_FROM_VILLAGE_KM:
                warnings.append(
                    _(
                        "This point is %(km).1f km from the centre of %(village)s. Check the"
                        " coordinates (are latitude and longitude swapped?).",
                        km=km,
                        village=village.name,
                    )
                )
        return warnings

    def _field_ref_free(self) -> bool:
        # import here: mapping.services imports this module's field lists
        from cbpar.mapping.services import field_ref_taken

        data = self.data_dict()
        if not (self.project and data["field_ref"]):
            return True
        if field_ref_taken(self.project, data["village_id"], data["field_ref"], self.record):
            self.field_ref.errors = [
                *self.field_ref.errors,
                _l("Another household of this village has this number."),
            ]
            return False
        return True

    def data_dict(self) -> dict[str, Any]:
        return {
            "village_id": self.village_id.data,
            "field_ref": (self.field_ref.data or "").strip() or None,
            "lat": self.lat.data,
            "lon": self.lon.data,
            "location_accuracy_m": self.location_accuracy_m.data,
            "members": self.members.data,
            "children_under_6": self.children_under_6.data,
            "children_6_17": self.children_6_17.data,
            "left_behind_children": self.left_behind_children.data,
            "migrant_parents": MigrantParents(self.migrant_parents.data),
            "caregiver": Caregiver(self.caregiver.data),
            "visited_on": self.visited_on.data,
            "consent_on": self.consent_on.data,
            "consent_given_by": (self.consent_given_by.data or "").strip(),
            "notes": (self.notes.data or "").strip(),
        }


class FacilityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"), choices=label_choices(FacilityKind), validators=[InputRequired()]
    )
    status = SelectField(
        _l("Status"),
        choices=label_choices(FacilityStatus),
        default=FacilityStatus.OPERATING.value,
        validators=[InputRequired()],
    )
    village_id = SelectField(_l("Village"), coerce=optional_int, validators=[Optional()])
    lat = _latitude()
    lon = _longitude()
    location_accuracy_m = location_accuracy()
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            Optional(),
            NumberRange(0, 100000, message=_l("Enter a whole number (0 or more).")),
        ],
        description=_l("Children, pupils or beds; leave empty if unknown."),
        render_kw={"inputmode": "numeric", "min": 0, "step": 1},
    )
    opened_on = DateField(
        _l("Date opened"),
        validators=[Optional()],
        description=_l("Used for 'then and now' comparisons; may be planned."),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])
    version = HiddenField()

    def __init__(self, *args: Any, villages: list[Any] = (), **kw: Any):
        super().__init__(*args, **kw)
        self.village_id.choices = [SelectChoice("", _l("(none)"))] + [
            SelectChoice(v.id, v.name) for v in villages
        ]

    def data_dict(self) -> dict[str, Any]:
        return {
            "name": self.name.data.strip(),
            "kind": FacilityKind(self.kind.data),
            "status": FacilityStatus(self.status.data),
            "village_id": self.village_id.data,
            "lat": self.lat.data,
            "lon": self.lon.data,
            "location_accuracy_m": self.location_accuracy_m.data,
            "capacity": self.capacity.data,
            "opened_on": self.opened_on.data,
            "notes": (self.notes.data or "").strip(),
        }
