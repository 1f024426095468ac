"""The area and period picker of the report pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import Optional


class PeriodForm(FlaskForm):
    """Area and period, read from the query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    area = SelectField(_l("Area"), coerce=int, validators=[Optional()])
    period = RadioField(_l("Period"), default="month", validators=[Optional()])
    start = StringField(_l("From"), validators=[Optional()], render_kw={"type": "date"})
    end = StringField(_l("To"), validators=[Optional()], render_kw={"type": "date"})

    def fill_choices(self, areas: list[tuple[int, str]]) -> None:
        self.area.choices = areas
        self.period.choices = [
            ("month", _l("This month")),
            ("quarter", _l("This quarter")),
            ("year", _l("This year")),
            ("custom", _l("Dates")),
        ]
