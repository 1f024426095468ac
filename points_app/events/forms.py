"""Forms for events, attendance, projects and needs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from points_app.core.dates import DateInRange
from points_app.events.models import EventKind, NeedSource, PointsRule


def kind_label(kind: EventKind | str) -> str:
    """An event kind's name in the current language."""
    labels = {
        "party_report": _l("Party members report to the community"),
        "volunteer": _l("Volunteer service"),
        "welfare_day": _l("Public-welfare day"),
        "legal_talk": _l("Legal talk"),
    }
    return str(labels[EventKind(kind).value])


class EventForm(FlaskForm):
    """Create or change an event."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    area_id = SelectField(_l("Area"), coerce=int, validators=[DataRequired()])
    project_id = SelectField(_l("Venture project"), coerce=int, validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    starts_at = DateTimeLocalField(
        _l("Starts"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(), DateInRange()]
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(), DateInRange()]
    )
    capacity = IntegerField(
        _l("Capacity (empty: no limit)"), validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    signup_required = BooleanField(_l("Volunteers must sign up first"))
    points_rule = SelectField(_l("Points rule"), validators=[DataRequired()])
    points_value = IntegerField(
        _l("Points (per started hour, or fixed)"),
        default=1,
        validators=[DataRequired(), NumberRange(min=0, max=1000)],
    )
    points_cap = IntegerField(
        _l("At most (empty: no cap)"), validators=[Optional(), NumberRange(min=1, max=10000)]
    )
    needs_checkout = BooleanField(_l("Volunteers check out at the end"), default=True)
    needs_approval = BooleanField(_l("I approve attendance before points are given"), default=True)
    rotates_code = BooleanField(_l("Change the QR code every 30 seconds (shown on a screen)"))
    issue_ids = SelectMultipleField(_l("Residents' issues it serves"), coerce=int)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])

    def fill_choices(self, current: EventKind | None = None) -> None:
        # Legal talks are made on their own page (speaker, topic, the community's points rule).
        self.kind.choices = [
            (k.value, kind_label(k))
            for k in EventKind
            if k is not EventKind.legal_talk or current is EventKind.legal_talk
        ]
        self.points_rule.choices = [
            (PointsRule.per_hour.value, _l("Per started hour")),
            (PointsRule.fixed.value, _l("Fixed")),
        ]


class RejectForm(FlaskForm):
    """Reject an attendance, with a reason."""

    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ManualAttendanceForm(FlaskForm):
    """Add a volunteer's time by hand."""

    volunteer_id = SelectField(_l("Volunteer"), coerce=int, validators=[DataRequired()])
    minutes = IntegerField(
        _l("Duration in minutes"), validators=[DataRequired(), NumberRange(min=1, max=7 * 24 * 60)]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class PeopleServedForm(FlaskForm):
    """Record how many people an event served."""

    people_served = IntegerField(
        _l("People served"), validators=[DataRequired(), NumberRange(min=0, max=1_000_000)]
    )


class ProjectForm(FlaskForm):
    """Publish a venture project."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    area_id = SelectField(_l("Published by"), coerce=int, validators=[DataRequired()])
    budget_points = IntegerField(
        _l("Budget (points)"), validators=[DataRequired(), NumberRange(min=1, max=10_000_000)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class ClaimForm(FlaskForm):
    """Name the social organisation that takes on a project."""

    organisation_id = SelectField(_l("Social organisation"), coerce=int)


class NeedForm(FlaskForm):
    """Post a need on a community's list."""

    title = StringField(_l("What is needed"), validators=[DataRequired(), Length(max=200)])
    community_id = SelectField(_l("Community"), coerce=int, validators=[DataRequired()])
    source = SelectField(
        _l("Posted by"),
        choices=[
            (NeedSource.resident.value, _l("A resident (their order)")),
            (NeedSource.community.value, _l("The community (its order)")),
        ],
    )
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=2000)])


class AdviserForm(FlaskForm):
    """Register a community's legal adviser."""

    community_id = SelectField(_l("Community"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    organisation = StringField(
        _l("Law firm, court or police station"), validators=[Optional(), Length(max=100)]
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])


class LegalTalkForm(FlaskForm):
    """Hold a legal talk: speaker, topic, place and time."""

    speaker_id = SelectField(_l("Speaker"), coerce=int, validators=[DataRequired()])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    starts_at = DateTimeLocalField(
        _l("Starts"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class LegalPointsForm(FlaskForm):
    """A community's rule for points at legal talks."""

    earn = BooleanField(_l("Attending a legal talk earns points"))
    points = IntegerField(
        _l("Points per talk"), default=1, validators=[Optional(), NumberRange(min=1, max=1000)]
    )


class JoinForm(FlaskForm):
    """A first-time volunteer signs up from an event's code (the service checks the rest)."""

    real_name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=50)],
        render_kw={"autocomplete": "name"},
    )
    phone = StringField(
        _l("Mobile phone"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "type": "tel"},
    )
    home_community_id = SelectField(
        _l("Community where you live"), coerce=int, validators=[DataRequired()]
    )
    password = PasswordField(
        _l("Choose a password (at least 8 characters)"),
        validators=[DataRequired(), Length(min=8, max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class MinutesForm(FlaskForm):
    """Correct the minutes of a pending attendance."""

    minutes = IntegerField(
        _l("Minutes served"),
        validators=[DataRequired(), NumberRange(min=1, max=7 * 24 * 60)],
        render_kw={"inputmode": "numeric", "min": 1},
    )
