"""Forms of the love supermarket pages. The basket's quantities are read by the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from points_app.store.models import CATEGORY_LABELS, MOVE_LABELS, ProductCategory, StockMoveKind
from points_app.store.services import MAX_STOCK_QUANTITY


class StoreForm(FlaskForm):
    """Create or edit a store."""

    community_id = SelectField(_l("Community"), coerce=int, validators=[DataRequired()])
    name = StringField(lazy_pgettext("store", "Name"), validators=[DataRequired(), Length(max=100)])
    opening_hours = StringField(
        _l("Opening hours"), validators=[Optional(), Length(max=200)],
        description=_l("For example: Tue and Fri 9:00–11:30"),
    )  # fmt: skip
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    monthly_points_limit = IntegerField(
        _l("Points per household per month"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
        description=_l("Leave empty for no limit."),
    )
    monthly_visits_limit = IntegerField(
        _l("Visits per household per month"),
        validators=[Optional(), NumberRange(min=1, max=1000)],
        description=_l("Leave empty for no limit."),
    )
    monthly_product_limit = IntegerField(
        _l("Quantity of each product per household per month"),
        validators=[Optional(), NumberRange(min=1, max=10_000)],
        description=_l("Leave empty for no limit."),
    )
    void_days = IntegerField(
        _l("Days after a redemption during which it can still be voided"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=31)],
        description=_l("0: only on the same day."),
    )
    is_active = BooleanField(_l("Store is open"), default=True)


class ProductForm(FlaskForm):
    """Create or edit a product."""

    name = StringField(
        lazy_pgettext("product", "Name"), validators=[DataRequired(), Length(max=100)]
    )
    # Lazy labels, not `.label`: a choice is translated when the form is rendered, in the
    # language of that request, not frozen in the language of the process at import.
    category = SelectField(
        _l("Category"), choices=[(c.value, CATEGORY_LABELS[c]) for c in ProductCategory],
        validators=[DataRequired()],
    )  # fmt: skip
    unit = StringField(
        _l("Unit"), validators=[DataRequired(), Length(max=20)],
        description=_l("For example: bag, bottle, box"),
    )  # fmt: skip
    points_price = IntegerField(
        _l("Price in points"), validators=[InputRequired(), NumberRange(min=1, max=100_000)]
    )
    low_stock_at = IntegerField(
        _l("Warn when stock is at or below"), default=3,
        validators=[InputRequired(), NumberRange(min=0, max=100_000)],
    )  # fmt: skip
    barcode = StringField(
        _l("Barcode (optional)"), validators=[Optional(), Length(max=64)],
        description=_l("Scan the packaging here: a scanner at the counter then adds it."),
    )  # fmt: skip
    is_active = BooleanField(_l("On sale"), default=True)
    photo = FileField(_l("Photo (optional)"))


class StockInForm(FlaskForm):
    """Receive stock: a donation (with its donor) or a purchase."""

    product_id = SelectField(_l("Product"), coerce=int, validators=[DataRequired()])
    kind = SelectField(
        _l("How it came in"),
        choices=[
            (StockMoveKind.donation.value, MOVE_LABELS[StockMoveKind.donation]),
            (StockMoveKind.purchase.value, MOVE_LABELS[StockMoveKind.purchase]),
        ],
    )
    quantity = IntegerField(
        _l("Quantity"), validators=[InputRequired(), NumberRange(min=1, max=MAX_STOCK_QUANTITY)]
    )
    donor_id = SelectField(_l("Donor organisation"), coerce=int, validators=[Optional()])
    reason = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class AdjustForm(FlaskForm):
    """Correct the stock, up or down, with a reason."""

    product_id = SelectField(_l("Product"), coerce=int, validators=[DataRequired()])
    delta = IntegerField(
        _l("Change (+ adds, − removes)"),
        validators=[
            InputRequired(), NumberRange(min=-MAX_STOCK_QUANTITY, max=MAX_STOCK_QUANTITY)
        ],
    )  # fmt: skip
    reason = StringField(
        _l("Reason"), validators=[DataRequired(), Length(max=200)],
        description=_l("For example: stocktake, damaged, past its date"),
    )  # fmt: skip


class TransferForm(FlaskForm):
    """Send stock to another store."""

    product_id = SelectField(_l("Product"), coerce=int, validators=[DataRequired()])
    to_store_id = SelectField(_l("To store"), coerce=int, validators=[DataRequired()])
    quantity = IntegerField(
        _l("Quantity"), validators=[InputRequired(), NumberRange(min=1, max=MAX_STOCK_QUANTITY)]
    )
    reason = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class ScanForm(FlaskForm):
    """What the scanner typed (or the clerk pasted): a card's URL or token."""

    code = StringField(
        _l("Scan or type the card code"), validators=[DataRequired(), Length(max=500)]
    )


class PhotoScanForm(FlaskForm):
    """A photo of the card, read on the server when the browser cannot read the camera."""

    photo = FileField(_l("Photo of the card"))


class BasketForm(FlaskForm):
    """The basket's hidden fields; quantities come as `qty-<product id>` fields."""

    card = HiddenField(validators=[DataRequired(), Length(max=500)])
    key = HiddenField(validators=[DataRequired(), Length(max=255)])


class VoidForm(FlaskForm):
    """Void a redemption, saying why."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class ConfirmForm(FlaskForm):
    """An empty form: just the CSRF token, for confirmed actions."""


class PhoneSearchForm(FlaskForm):
    """Find a household without its card by the last four digits of its phone."""

    last_four = StringField(
        _l("Last four digits of the household's phone"),
        validators=[DataRequired(), Length(min=4, max=4)],
    )


class CardlessCheckForm(FlaskForm):
    """The second check before serving a household without its card."""

    household_id = HiddenField(validators=[DataRequired()])
    how = HiddenField(validators=[DataRequired()])
    last_four = StringField(
        _l("Ask the person: last four digits of the household's phone"),
        validators=[DataRequired(), Length(min=4, max=4)],
    )
