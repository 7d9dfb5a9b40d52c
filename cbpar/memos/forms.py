"""Forms for memos, tags and links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cbpar.forms import label_choices
from cbpar.memos.models import MemoKind, Visibility

MAX_BODY = 200_000


class MemoForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=label_choices(MemoKind))
    visibility = SelectField(
        _l("Who can read it"),
        choices=label_choices(Visibility),
        default="team",
    )
    body = TextAreaField(
        _l("Text"),
        validators=[Optional(), Length(max=MAX_BODY)],
        description=_l(
            "Markdown: # headings, **bold**, *italic*, lists, | tables |, [links](https://…), "
            "footnotes[^1]."
        ),
        render_kw={"rows": 18, "data-preview": "memo-preview"},
    )
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=1000)],
        description=_l("The team's codes, separated by commas, e.g. guardianship, 幼儿园."),
    )
    # The version this edit started from: a save on an older one is refused (no lost edits).
    version = HiddenField()

    def data_dict(self) -> dict:
        return {
            "title": self.title.data or "",
            "kind": self.kind.data,
            "visibility": self.visibility.data,
            "body": (self.body.data or "").replace("\r\n", "\n"),
            "tags": self.tags.data or "",
        }


class TagRenameForm(FlaskForm):
    name = StringField(
        _l("New name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("If another tag has this name, the two are merged."),
    )


class LinkForm(FlaskForm):
    record_type = SelectField(_l("Kind of record"), choices=[])
    ref = StringField(
        _l("Code, name or number"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("e.g. household SH-003, facility name, village code SH"),
    )
