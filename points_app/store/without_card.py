"""Counter pages for a household without a working card: by the number printed on the
card, or by the last four digits of its phone, always with a second check (the masked
name and the phone's last four digits). Routes on the store blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user, login_required

from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.extensions import db
from points_app.people.models import Household
from points_app.store import services
from points_app.store.forms import CardlessCheckForm, PhoneSearchForm, PhotoScanForm, ScanForm
from points_app.store.models import Store
from points_app.store.services import lookup
from points_app.store.views import _basket_page, _load_store, bp


def _counter_page(
    store: Store, *, error: DomainError, phone_form: PhoneSearchForm | None = None
) -> Any:
    return (
        render_template(
            "store/counter.html", store=store, form=ScanForm(formdata=None),
            photo_form=PhotoScanForm(), phone_form=phone_form or PhoneSearchForm(formdata=None),
            error=error,
        ),
        error.status,
    )  # fmt: skip


def _check_page(
    store: Store, households: list[Household], *, how: str, last_four: str = "",
    error: DomainError | None = None, status: int = 200,
) -> Any:  # fmt: skip
    forms = []
    for household in households:
        form = CardlessCheckForm(formdata=None, household_id=household.id, how=how)
        form.last_four.data = last_four
        forms.append((household, form))
    return (
        render_template(
            "store/counter_check.html", store=store, checks=forms, how=how, error=error
        ),
        status,
    )


def number_check_page(store: Store, text: str) -> Any:
    """What the scan field answers when it holds a household number, not a card."""
    try:
        household = lookup.find_household_by_number(
            text, community=store.community, actor=current_user
        )
    except DomainError as error:
        db.session.commit()  # the look-up stays in the audit log
        return _counter_page(store, error=error)
    db.session.commit()
    return _check_page(store, [household], how="number")


@bp.route("/<int:store_id>/counter/phone", methods=["POST"])
@login_required
def find_by_phone(store_id: int) -> Any:
    store = _load_store(store_id, Permission.redeem)
    form = PhoneSearchForm()
    if not form.validate_on_submit():
        error = DomainError("validation_error", lookup.bad_digits_message(), 422)
        return _counter_page(store, error=error, phone_form=form)
    last_four = form.last_four.data or ""
    try:
        households = lookup.find_households_by_phone(
            last_four, community=store.community, actor=current_user
        )
    except DomainError as error:
        db.session.commit()
        return _counter_page(store, error=error, phone_form=form)
    db.session.commit()
    return _check_page(store, households, how="phone", last_four=last_four)


@bp.route("/<int:store_id>/counter/check", methods=["POST"])
@login_required
def check_without_card(store_id: int) -> Any:
    store = _load_store(store_id, Permission.redeem)
    form = CardlessCheckForm()
    if not form.validate_on_submit():
        abort(400)
    household = lookup.household_in_community(form.household_id.data, store.community)
    how = form.how.data if form.how.data in ("number", "phone") else "number"
    if household is None:
        abort(404)
    try:
        lookup.check_household_without_card(
            household, last_four=form.last_four.data or "", community=store.community,
            actor=current_user, how=how,
        )  # fmt: skip
    except DomainError as error:
        db.session.commit()  # a failed check stays in the audit log
        return _check_page(store, [household], how=how, error=error, status=error.status)
    db.session.commit()
    return _basket_page(
        store, household, services.household_card_token(household), served_without_card=True
    )
