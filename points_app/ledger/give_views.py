"""Giving points to a paired household: from "My service" (a volunteer's own points) and
from an organisation's page, through `ledger.giving`, in two steps (fill in, confirm)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from points_app.core.clock import local_today
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.ledger import giving, services
from points_app.ledger.forms import GiveForm
from points_app.ledger.models import Account, Transfer
from points_app.ledger.views import _load_owner, bp
from points_app.people.models import Household, Organisation, Pairing, Volunteer

GIVERS = ("volunteer", "organisation")


def _existing_account(owner: Volunteer | Organisation) -> Account | None:
    column = Account.volunteer_id if isinstance(owner, Volunteer) else Account.organisation_id
    return db.session.scalars(select(Account).where(column == owner.id)).first()


def _may_give(owner: Volunteer | Organisation) -> bool:
    """The same rule as `giving.may_pay_from`, before the account exists."""
    if isinstance(owner, Volunteer):
        return owner.user_id is not None and owner.user_id == getattr(current_user, "id", None)
    return can(current_user, Permission.manage_people, owner.area)


def paired_households(owner: Volunteer | Organisation) -> list[Household]:
    """The households the volunteer or organisation is paired with today."""
    day = local_today()
    partner = (
        Pairing.volunteer_id == owner.id
        if isinstance(owner, Volunteer)
        else Pairing.organisation_id == owner.id
    )
    stmt = (
        select(Household)
        .join(Pairing, Pairing.household_id == Household.id)
        .where(
            partner,
            Pairing.start_date <= day,
            (Pairing.end_date.is_(None)) | (Pairing.end_date >= day),
            Household.is_active.is_(True),
        )
        .order_by(Household.public_no)
        .distinct()
    )
    return list(db.session.scalars(stmt))


@bp.route("/give/<kind>/<int:owner_id>", methods=["GET", "POST"])
@login_required
def give(kind: str, owner_id: int) -> Any:
    """Give points from a volunteer's or an organisation's account to a paired household."""
    owner = _load_owner(kind, owner_id) if kind in GIVERS else None
    if not isinstance(owner, Volunteer | Organisation) or not _may_give(owner):
        abort(404)
    households = paired_households(owner)
    account = _existing_account(owner)
    balance = account.balance if account is not None else 0
    form = GiveForm()
    form.household_id.choices = [(h.id, f"{h.public_no} {h.masked_name}") for h in households]
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
        form.household_id.data = request.args.get("household", type=int)
    chosen = next((h for h in households if h.id == form.household_id.data), None)
    if form.validate_on_submit() and chosen is not None:
        if form.confirmed.data != "yes":
            form.confirmed.data = "yes"
            return render_template(
                "ledger/give.html", owner=owner, kind=kind, form=form, balance=balance,
                household=chosen, confirming=True,
            )  # fmt: skip
        try:
            record = services.run_in_transaction(
                lambda: _give(kind, owner_id, chosen.id, form)  # noqa: B023
            )
        except DomainError as error:
            form.confirmed.data = ""
            form.amount.errors = [*form.amount.errors, str(error.message)]
        else:
            flash(
                _(
                    "%(points)s points given to household %(no)s.",
                    points=record.amount,
                    no=chosen.public_no,
                ),
                "success",
            )
            return redirect(_back(owner))
    return render_template(
        "ledger/give.html", owner=owner, kind=kind, form=form, balance=balance,
        household=None, confirming=False, households=households,
    )  # fmt: skip


def _give(kind: str, owner_id: int, household_id: int, form: GiveForm) -> Transfer:
    owner = _load_owner(kind, owner_id)
    household = db.session.get(Household, household_id)
    assert household is not None
    if isinstance(owner, Volunteer):
        debit = services.account_for_volunteer(owner)
    elif isinstance(owner, Organisation):
        debit = services.account_for_organisation(owner)
    else:  # the page checked the kind before
        raise AssertionError(kind)
    return giving.move_points(
        debit=debit,
        credit=services.account_for_household(household),
        amount=form.amount.data or 0,
        actor=current_user,
        memo=form.memo.data or "",
        idempotency_key=f"give-form:{form.idempotency_key.data}",
    )


def _back(owner: Volunteer | Organisation) -> str:
    if isinstance(owner, Volunteer):
        return url_for("events.my_service")
    return url_for("people.organisation_detail", organisation_id=owner.id)
