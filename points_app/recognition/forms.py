"""Forms for the recognition settings, objections and certificates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class RecognitionSettingsForm(FlaskForm):
    """A community's public notice days and certificate issuing."""

    notice_days = IntegerField(
        _l("Days earned points stay on public notice before they can be spent"),
        validators=[InputRequired(), NumberRange(0, 60)],
    )
    certificates_at_once = BooleanField(_l("Issue service certificates as soon as asked"))
    contact = StringField(
        _l("Contact on certificates (office phone or address)"),
        validators=[Optional(), Length(max=100)],
    )


class ObjectionForm(FlaskForm):
    """An objection against one award on the notice."""

    transfer_id = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Objection"), validators=[DataRequired(), Length(max=500)])


class ResolveObjectionForm(FlaskForm):
    """Let an award stand or reverse it."""

    decision = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class CertificateRequestForm(FlaskForm):
    """A volunteer asks for a service certificate for a period."""

    period_start = DateField(_l("From"), validators=[InputRequired()])
    period_end = DateField(_l("To"), validators=[InputRequired()])


class ReasonForm(FlaskForm):
    """A reason (for declining or revoking a certificate)."""

    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
