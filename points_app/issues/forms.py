"""Forms for issues, their moves and evaluation, talk sessions and settings."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from points_app.core.dates import DateInRange
from points_app.issues.labels import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    STATE_LABELS,
)
from points_app.issues.models import AttendeeKind


def _choices(labels: dict[Any, Any]) -> list[tuple[str, object]]:
    return [(key.value, label) for key, label in labels.items()]


class RaiseIssueForm(FlaskForm):
    """The one short form a grid worker fills in on a phone."""

    title = StringField(_l("What is it about?"), validators=[DataRequired(), Length(max=120)])
    # No default: a street-light report must not quietly become a neighbour dispute.
    category = SelectField(
        _l("Category"),
        choices=[("", _l("Please choose")), *_choices(CATEGORY_LABELS)],
        validators=[DataRequired(message=_l("Choose the category."))],
    )
    area_id = SelectField(_l("Grid"), coerce=int, validators=[DataRequired()])
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=5000)])
    resident_name = StringField(_l("Resident's name"), validators=[Optional(), Length(max=50)])
    resident_phone = StringField(
        _l("Resident's phone"), validators=[Optional(), Length(max=20)], render_kw={"type": "tel"}
    )
    is_anonymous = BooleanField(_l("Keep the resident anonymous to the public"))
    channel = SelectField(_l("Came in by"), choices=_choices(CHANNEL_LABELS))
    photo = FileField(_l("Photo (optional)"), render_kw={"accept": "image/*"})
    session_id = HiddenField()


class PhotoForm(FlaskForm):
    """Add a photo to an issue."""

    photo = FileField(_l("Photo"), render_kw={"accept": "image/*"})


class MoveForm(FlaskForm):
    """One workflow move; which fields show depends on the move."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    level = SelectField(_l("Handling level"), validators=[Optional()])
    decision = TextAreaField(_l("Decision"), validators=[Optional(), Length(max=2000)])
    session_id = SelectField(_l("Talk session"), coerce=int, validators=[Optional()])
    merge_into = IntegerField(
        _l("Number of the issue it duplicates"), validators=[Optional(), NumberRange(min=1)]
    )


SATISFACTION_CHOICES = [
    (5, _l("5 — very satisfied")),
    (4, _l("4 — satisfied")),
    (3, _l("3 — acceptable")),
    (2, _l("2 — dissatisfied")),
    (1, _l("1 — very dissatisfied")),
]


class EvaluationForm(FlaskForm):
    """The resident's rating (评): satisfaction and whether it is solved."""

    satisfaction = RadioField(
        _l("Satisfaction"),
        coerce=int,
        choices=SATISFACTION_CHOICES,
        validators=[InputRequired()],
        render_kw={"class": "choices"},
    )
    solved = RadioField(
        _l("Is it solved?"),
        choices=[("yes", _l("Yes, solved")), ("no", _l("No, not solved"))],
        validators=[InputRequired()],
        render_kw={"class": "choices inline"},
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class AttendeeRow(Form):
    """One kind of attendee at a talk session: how many, and who."""

    kind = HiddenField()
    count = IntegerField(_l("How many"), validators=[Optional(), NumberRange(min=0, max=10_000)])
    names = StringField(_l("Names or organisations"), validators=[Optional(), Length(max=500)])


class TalkSessionForm(FlaskForm):
    """Schedule or record a talk session (说事会)."""

    area_id = SelectField(_l("Area"), coerce=int, validators=[DataRequired()])
    held_on = DateField(_l("Date"), validators=[DataRequired(), DateInRange()])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    chair = StringField(_l("Chair"), validators=[DataRequired(), Length(max=100)])
    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=20_000)])
    attendees = FieldList(FormField(AttendeeRow), _l("Attendees"), min_entries=len(AttendeeKind))

    def fill_kinds(self) -> None:
        """Give each attendee row its kind, in the order of AttendeeKind."""
        for row, kind in zip(self.attendees, AttendeeKind, strict=False):
            row.form.kind.data = kind.value


class SettingsForm(FlaskForm):
    """A community's fixed talk day and handling deadlines."""

    talk_day = IntegerField(
        _l("Fixed talk day (day of the month)"), validators=[InputRequired(), NumberRange(1, 28)]
    )
    grid_days = IntegerField(
        _l("Grid worker deadline (working days)"), validators=[InputRequired(), NumberRange(1, 90)]
    )
    community_days = IntegerField(
        _l("Social worker deadline (working days)"),
        validators=[InputRequired(), NumberRange(1, 90)],
    )
    street_days = IntegerField(
        _l("Street departments deadline (working days)"),
        validators=[InputRequired(), NumberRange(1, 90)],
    )


class IssueFilterForm(FlaskForm):
    """Filters of the issue list (a GET form)."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), choices=[("", _l("Any state")), *_choices(STATE_LABELS)])
    category = SelectField(
        _l("Category"), choices=[("", _l("Any category")), *_choices(CATEGORY_LABELS)]
    )
    area = SelectField(_l("Area"), coerce=int, validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Search titles"), validators=[Optional(), Length(max=100)])


class ResolvedFilterForm(FlaskForm):
    """Filters of the resolved issues list (a GET form)."""

    class Meta:
        csrf = False

    category = SelectField(
        _l("Category"), choices=[("", _l("Any category")), *_choices(CATEGORY_LABELS)]
    )
    area = SelectField(_l("Area"), coerce=int, validators=[Optional()])
    start = DateField(_l("Closed from"), validators=[Optional(), DateInRange()])
    end = DateField(_l("Closed until"), validators=[Optional(), DateInRange()])


class MediationForm(FlaskForm):
    """Record a mediation of a dispute: how it ended, who mediated, when."""

    outcome = RadioField(_l("Outcome"), validators=[InputRequired()])
    mediator = StringField(_l("Mediator"), validators=[DataRequired(), Length(max=100)])
    mediated_on = DateField(_l("Date of the mediation"), validators=[DataRequired(), DateInRange()])
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])

    def fill_choices(self) -> None:
        from points_app.issues.mediation import OUTCOME_LABELS

        self.outcome.choices = [(k.value, str(v)) for k, v in OUTCOME_LABELS.items()]


class CalendarDayForm(FlaskForm):
    """Mark a day as a holiday or a make-up working day (调休)."""

    day = DateField(_l("Date"), validators=[DataRequired(), DateInRange()])
    kind = RadioField(
        _l("This day is"),
        choices=[("holiday", _l("A holiday (no work)")), ("working", _l("A working day (调休)"))],
        validators=[InputRequired()],
        render_kw={"class": "choices"},
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=100)])
