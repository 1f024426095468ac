"""Forms for issuing points and reversing a transfer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

MAX_ISSUE = 100_000


class IssueForm(FlaskForm):
    """Issue points from a community's issuance account; the hidden key makes a double
    submit count once."""

    recipient = SelectField(_l("To"), validators=[InputRequired()])
    amount = IntegerField(
        _l("Points"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_ISSUE)],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_ISSUE},
    )
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": _l("e.g. Spring Festival visits to elderly residents")},
    )
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])


class ReverseForm(FlaskForm):
    """Undo a transfer, saying why."""

    reason = StringField(_l("Why is it reversed?"), validators=[DataRequired(), Length(max=200)])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])


class GiveForm(FlaskForm):
    """Give points to a paired household; the hidden key makes a double submit count once,
    and `confirmed` is set on the second step, after the giver has seen what happens."""

    household_id = SelectField(_l("To the household"), coerce=int, validators=[InputRequired()])
    amount = IntegerField(
        _l("Points"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_ISSUE)],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    memo = StringField(
        _l("What for"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"placeholder": _l("e.g. Spring Festival greetings")},
    )
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    confirmed = HiddenField()
