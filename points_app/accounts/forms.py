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
    api_tokens = BooleanField(_l("Also revoke my API tokens (apps and scanners sign in again)"))


class SignOutEverywhereForm(FlaskForm):
    """Sign out of every browser, after confirming; optionally revoke the API tokens too."""

    confirm = BooleanField(
        _l("Yes, sign me out on every phone and computer, this one too"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    api_tokens = BooleanField(_l("Also revoke my API tokens (apps and scanners sign in again)"))


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


class SetPasswordForm(FlaskForm):
    """Choose a password from a one-time link."""

    new = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(), Length(min=8, max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
