"""Forms for project settings, villages and members."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from cbpar.forms import label_choices
from cbpar.projects.services import slug_taken
from cbpar.security import Role

SLUG_RE = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
USERNAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$"


def role_choices() -> list[SelectChoice]:
    return label_choices(Role)


class ProjectForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(
        _l("Short name in addresses"),
        validators=[
            InputRequired(),
            Regexp(SLUG_RE, message=_l("Use lower-case letters, digits and hyphens.")),
        ],
        description=_l("Lower-case letters, digits and hyphens, e.g. x-banner-2020."),
    )
    region = StringField(_l("Region"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    timezone = StringField(
        _l("Time zone"), default="Asia/Shanghai", validators=[InputRequired(), Length(max=64)]
    )
    map_center_lat = FloatField(
        _l("Map centre latitude"),
        default=0.0,
        validators=[InputRequired(), NumberRange(-90, 90)],
    )
    map_center_lon = FloatField(
        _l("Map centre longitude"),
        default=0.0,
        validators=[InputRequired(), NumberRange(-180, 180)],
    )
    map_zoom = IntegerField(
        _l("Map zoom"), default=11, validators=[InputRequired(), NumberRange(1, 19)]
    )

    def validate_timezone(self, field: StringField) -> None:
        if field.data not in available_timezones():
            raise ValidationError(_l("Unknown time zone; use a name such as Asia/Shanghai."))

    def validate_slug(self, field: StringField) -> None:
        if slug_taken(field.data, getattr(self, "_project", None)):
            raise ValidationError(_l("Another project uses this short name."))

    def data_dict(self) -> dict[str, object]:
        return {
            "name": self.name.data.strip(),
            "slug": self.slug.data,
            "region": (self.region.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "timezone": self.timezone.data,
            "map_center_lat": self.map_center_lat.data,
            "map_center_lon": self.map_center_lon.data,
            "map_zoom": self.map_zoom.data,
        }


class VillageForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    code = StringField(
        _l("Code for household codes"),
        validators=[
            InputRequired(),
            Regexp(r"^[A-Za-z]{1,8}$", message=_l("Use one to eight Latin letters.")),
        ],
        description=_l("Households in this village get codes like SH-017."),
    )
    aliases = TextAreaField(
        _l("Other names"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "One per line: how people and survey forms write this village, e.g. 凉水村 or "
            "Liangshui. Imports match the code, the name, these names and the parts of the "
            "name, ignoring case and spaces."
        ),
        render_kw={"rows": 3},
    )
    center_lat = FloatField(_l("Centre latitude"), validators=[Optional(), NumberRange(-90, 90)])
    center_lon = FloatField(_l("Centre longitude"), validators=[Optional(), NumberRange(-180, 180)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (self.center_lat.data is None) != (self.center_lon.data is None):
            self.center_lon.errors = [*self.center_lon.errors, _l("Give both coordinates or none.")]
            ok = False
        return ok

    def data_dict(self) -> dict[str, object]:
        return {
            "name": self.name.data.strip(),
            "code": self.code.data.upper(),
            "aliases": "\n".join(
                dict.fromkeys(
                    " ".join(line.split())
                    for line in (self.aliases.data or "").splitlines()
                    if line.strip()
                )
            ),
            "center_lat": self.center_lat.data,
            "center_lon": self.center_lon.data,
        }


class MemberForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            InputRequired(),
            Regexp(
                USERNAME_RE,
                message=_l("2 to 64 Latin letters, digits, dots, hyphens or underscores."),
            ),
        ],
        description=_l(
            "You get an invitation link to pass on. A new person chooses a password with it;"
            " someone who has an account logs in with their own password to accept."
        ),
    )
    display_name = StringField(
        _l("Display name"),
        validators=[Optional(), Length(max=120)],
        description=_l("Used if a new account is made."),
    )
    # The least privileged role unless the coordinator chooses another.
    role = SelectField(
        _l("Role"), choices=role_choices, default=Role.OBSERVER.value, validators=[InputRequired()]
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices, validators=[InputRequired()])
