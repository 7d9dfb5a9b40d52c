"""Forms for logging in, invitations, the profile page and API tokens."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from cbpar.auth.services import password_problem


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class NewPasswordMixin:
    """A new password typed twice, checked against the password policy."""

    username_for_policy = ""

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", self.username_for_policy)
        if problem:
            raise ValidationError(problem)


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Length(max=120)])
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("As my browser asks")),
            SelectChoice("en", "English"),
            SelectChoice("zh_Hans", "简体中文"),
        ],
    )


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[InputRequired(), Length(max=80)],
        description=_l("What the token is for, e.g. 'import script'."),
    )
