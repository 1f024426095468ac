"""Sign-in, password and user-management forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from points_app.accounts.models import Role

# Lazy: each page shows them in its own language.
ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.committee: _l("Community committee"),
    Role.organiser: _l("Organiser / social worker"),
    Role.grid_worker: _l("Grid worker"),
    Role.clerk: _l("Store clerk"),
    Role.volunteer: _l("Volunteer"),
}

PHONE_PATTERN = r"^1[3-9]\d{9}$"
PHONE_MESSAGE = _l("Enter an 11-digit mobile number, such as 13812345678.")


class LoginForm(FlaskForm):
    """Sign in with username or phone."""

    login = StringField(_l("Username or phone"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me on this phone"), default=True)


class ChangePasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class UserForm(FlaskForm):
    """Create a user."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=3, max=64),
            Regexp(
                r"^[A-Za-z0-9_.-]+$",
                message=_l("Use letters, digits, dots, dashes and underscores only."),
            ),
        ],
    )
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(
        _l("Phone"), validators=[Optional(), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])


class RoleForm(FlaskForm):
    """Grant a role at an area."""

    role = SelectField(
        _l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role], validators=[DataRequired()]
    )
    area_id = SelectField(_l("Area"), coerce=int, validators=[DataRequired()])
