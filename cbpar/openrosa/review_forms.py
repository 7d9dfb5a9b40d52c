"""The review queue's own form: rejecting a submission, with the reason kept."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it rejected?"),
        validators=[InputRequired(message=_l("Say why.")), Length(max=1000)],
        description=_l("Kept with the submission, e.g. “sent twice by mistake”."),
        render_kw={"rows": 2},
    )
