"""Forms of the code book and of coding a passage."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from cbpar.forms import optional_int
from cbpar.qda.coding import MAX_NOTE
from cbpar.web import MAX_INT


class CodeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    definition = TextAreaField(
        _l("Definition"),
        validators=[Optional(), Length(max=5000)],
        description=_l("When to use this code, in a sentence or two."),
        render_kw={"rows": 3},
    )
    example = TextAreaField(
        _l("Example"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2}
    )
    color = StringField(
        _l("Colour"),
        validators=[Optional(), Regexp(r"^#[0-9a-fA-F]{6}$")],
        default="#f2c94c",
        render_kw={"type": "color"},
    )
    parent_id = SelectField(_l("Under"), coerce=optional_int, validate_choice=False)


class CodingForm(FlaskForm):
    """Code a passage: offsets in characters of the stored text (the page's script fills them
    from a selection; without it, type them)."""

    start = IntegerField(
        _l("From character"), validators=[InputRequired(), NumberRange(0, MAX_INT)]
    )
    end = IntegerField(_l("To character"), validators=[InputRequired(), NumberRange(1, MAX_INT)])
    codes = SelectMultipleField(_l("Codes"), coerce=int, validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE)])


class ChangeCodingForm(FlaskForm):
    code_id = SelectField(
        lazy_pgettext("qualitative coding", "Code"), coerce=optional_int, validate_choice=False
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=MAX_NOTE)])


class MergeForm(FlaskForm):
    into = SelectField(_l("Merge into"), coerce=optional_int, validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField(
        _l("Code book file"),
        description=_l(
            "A CSV with the columns name, definition, parent; or a REFI-QDA code book (.qdc) or "
            "project (.qdpx) from another tool."
        ),
    )
