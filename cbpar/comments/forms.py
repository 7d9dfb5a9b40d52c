"""Forms for writing and editing comments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

MAX_COMMENT = 20_000


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(), Length(max=MAX_COMMENT)],
        description=_l("Markdown: **bold**, *italic*, lists, links."),
    )
    parent_id = HiddenField(validators=[Optional()])
