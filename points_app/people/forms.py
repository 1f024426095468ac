"""Forms for volunteers, organisations, memberships, households and pairings."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from points_app.core.dates import DateInRange
from points_app.core.errors import DomainError
from points_app.people.services import MAX_MEMBERS
from points_app.people.validation import clean_id_number

MOBILE_PATTERN = r"^\s*1[3-9]\d{9}\s*$"
MOBILE_MESSAGE = _l("Enter an 11-digit mobile number, such as 13812345678.")
CONTACT_PATTERN = r"^\s*(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})\s*$"


def apply_domain_error(form: FlaskForm, error: DomainError, default: str) -> None:
    """Show a refused operation's message beside the field it concerns."""
    name = str(error.details.get("field") or default)
    field = getattr(form, name, None) or getattr(form, default)
    field.errors = [*field.errors, error.message]


class VolunteerForm(FlaskForm):
    """Register or edit a volunteer."""

    real_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(
        _l("Mobile phone"),
        validators=[DataRequired(), Regexp(MOBILE_PATTERN, message=MOBILE_MESSAGE)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    home_community_id = SelectField(
        _l("Community where they live"), coerce=int, validators=[InputRequired()]
    )
    is_party_member = BooleanField(_l("In-service Party member (在职党员)"))
    work_unit = StringField(
        _l("Work unit"),
        validators=[Optional(), Length(max=100)],
        render_kw={"list": "work-units", "autocomplete": "off"},  # pick one, or type a new one
    )


class OrganisationForm(FlaskForm):
    """Register or edit a partner organisation."""

    name = StringField(
        lazy_pgettext("organisation", "Name"), validators=[DataRequired(), Length(max=100)]
    )
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    area_id = SelectField(_l("Belongs to"), coerce=int, validators=[InputRequired()])
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[
            Optional(),
            Regexp(
                CONTACT_PATTERN,
                message=_l("Enter a mobile number or a landline with its area code."),
            ),
        ],
        render_kw={"inputmode": "tel"},
    )


class MembershipForm(FlaskForm):
    """Add a volunteer to an organisation."""

    volunteer_id = SelectField(_l("Volunteer"), coerce=int, validators=[InputRequired()])
    is_leader = BooleanField(_l("Team leader"))


def _valid_id_number(form: Any, field: Any) -> None:
    from wtforms.validators import ValidationError

    try:
        clean_id_number(field.data)
    except DomainError as error:
        raise ValidationError(str(error.message)) from error


class HouseholdForm(FlaskForm):
    """Register or edit a household in need."""

    head_name = StringField(_l("Head of household"), validators=[DataRequired(), Length(max=50)])
    members_count = IntegerField(
        _l("People in the household"),
        default=1,
        validators=[
            InputRequired(message=_l("Enter the number of people.")),
            NumberRange(min=1, max=MAX_MEMBERS),
        ],
        render_kw={"inputmode": "numeric"},
    )
    area_id = SelectField(
        _l("Community, grid or microgrid"), coerce=int, validators=[InputRequired()]
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Why in need"), validators=[DataRequired()])
    id_number = StringField(
        _l("ID number of the head"),
        validators=[Optional(), Length(max=30), _valid_id_number],
        render_kw={"autocomplete": "off"},
    )
    phone = StringField(
        _l("Mobile phone"),
        validators=[Optional(), Regexp(MOBILE_PATTERN, message=MOBILE_MESSAGE)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    is_active = BooleanField(_l("Still in the programme"), default=True)


class PairingForm(FlaskForm):
    """Pair a household with a volunteer or an organisation."""

    household_id = SelectField(_l("Household"), coerce=int, validators=[InputRequired()])
    partner = SelectField(_l("Partner"), validators=[DataRequired()])
    start_date = DateField(_l("From"), validators=[InputRequired(), DateInRange()])
    end_date = DateField(_l("Until (optional)"), validators=[Optional(), DateInRange()])

    def validate_end_date(self, field: Any) -> None:
        from wtforms.validators import ValidationError

        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


class EndPairingForm(FlaskForm):
    """End a pairing on a date."""

    end_date = DateField(_l("Last day"), validators=[InputRequired(), DateInRange()])


class NumberLookupForm(FlaskForm):
    """Find a household by its head's ID number or its phone (sent by POST, never in a URL)."""

    number = StringField(
        _l("ID number or mobile phone"),
        validators=[DataRequired(), Length(max=30)],
        render_kw={"autocomplete": "off", "inputmode": "text"},
    )
