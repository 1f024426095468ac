"""Area forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp


class AreaForm(FlaskForm):
    """Add an area below another, or rename one."""

    name = StringField(lazy_pgettext("area", "Name"), validators=[DataRequired(), Length(max=100)])
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, - and _ only.")),
        ],
    )
    level = SelectField(_l("Level"), validators=[DataRequired()])
