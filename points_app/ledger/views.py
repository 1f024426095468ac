"""Points pages: an account and its history, issuing points, reversing a transfer."""

from __future__ import annotations

import uuid
from typing import Any, cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import visible_areas
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import MAX_DB_ID, page_number, require
from points_app.extensions import db
from points_app.ledger import pending, services
from points_app.ledger.forms import IssueForm, ReverseForm
from points_app.ledger.models import SYSTEM_KINDS, Account, AccountKind, Transfer, TransferKind
from points_app.people.models import Household, Organisation, Volunteer

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
P = Permission

OWNER_MODELS: dict[str, type[Volunteer] | type[Organisation] | type[Household]] = {
    "volunteer": Volunteer,
    "organisation": Organisation,
    "household": Household,
}

# Transfers another feature made and must undo itself, so its own records follow.
REVERSE_ELSEWHERE = {
    "redemption": _l(
        "This is a love supermarket redemption: void it from its receipt, so the goods go "
        "back to stock as well. After the store's void window, the community committee can "
        "still void it there."
    ),
}


# --- labels ---------------------------------------------------------------------------


def account_kind_label(kind: AccountKind | str) -> str:
    """The account kind in the current language."""
    return {
        "volunteer": _("Volunteer"),
        "organisation": _("Organisation"),
        "household": _("Household"),
        "issuance": _("Points issuance"),
        "store_sink": _("Love supermarket"),
        "expiry": _("Expired points"),
    }[AccountKind(kind).value]


def transfer_kind_label(kind: TransferKind | str) -> str:
    """The transfer kind in the current language."""
    return {
        "issue": _("Issued"),
        "earn": _("Earned by service"),
        "give": _("Given"),
        "redeem": _("Spent"),
        "reverse": _("Reversal"),
        "adjust": _("Adjustment"),
        "expire": _("Expired"),
    }[TransferKind(kind).value]


def account_label(account: Account) -> str:
    """Who holds the account, without a household's private details."""
    if account.volunteer is not None:
        return account.volunteer.real_name
    if account.organisation is not None:
        return account.organisation.name
    if account.household is not None:
        return f"{account.household.public_no} {account.household.masked_name}"
    return f"{account.community.name} · {account_kind_label(account.kind)}"


def may_view(account: Account) -> bool:
    """Committee and organisers see the accounts of their areas; volunteers their own."""
    if can(current_user, P.view_accounts, account.area):
        return True
    volunteer = account.volunteer
    return (
        volunteer is not None
        and volunteer.user_id is not None
        and (volunteer.user_id == getattr(current_user, "id", None))
    )


def reversal_refusal(transfer: Transfer) -> str | None:
    """Why this page cannot reverse the transfer, or None if it can."""
    if transfer.kind is TransferKind.reverse:
        return _("A reversal cannot itself be reversed.")
    if transfer.reversed_by is not None:
        return _("This transfer has already been reversed.")
    if transfer.reference_type in REVERSE_ELSEWHERE:
        return str(REVERSE_ELSEWHERE[transfer.reference_type])
    return None


def may_reverse(transfer: Transfer) -> bool:
    """The user may reverse it here, and it can be reversed here."""
    return can(current_user, P.reverse_transfers, transfer.area) and not reversal_refusal(transfer)


@bp.app_context_processor
def _ledger_helpers() -> dict[str, Any]:
    def points_account_for(owner: Any) -> Account | None:
        column = {
            Volunteer: Account.volunteer_id,
            Organisation: Account.organisation_id,
            Household: Account.household_id,
        }[type(owner)]
        return db.session.scalars(select(Account).where(column == owner.id)).first()

    return {
        "account_label": account_label,
        "account_kind_label": account_kind_label,
        "transfer_kind_label": transfer_kind_label,
        "may_view_account": may_view,
        "may_reverse": may_reverse,
        "points_account_for": points_account_for,
        "points_holdings": lambda account: pending.holdings_of(account) if account else None,
    }


# --- loading --------------------------------------------------------------------------


def _load_account(account_id: int) -> Account:
    account = db.session.get(Account, account_id) if 0 < account_id <= MAX_DB_ID else None
    if account is None or not may_view(account):
        abort(404)
    return account


def _load_transfer(transfer_id: int) -> Transfer:
    record = db.session.get(Transfer, transfer_id) if 0 < transfer_id <= MAX_DB_ID else None
    if record is None or not (may_view(record.debit_account) or may_view(record.credit_account)):
        abort(404)
    return record


def _load_owner(kind: str, owner_id: int) -> Volunteer | Organisation | Household | None:
    model = OWNER_MODELS.get(kind)
    if model is None or not 0 < owner_id <= MAX_DB_ID:
        return None
    return cast("Volunteer | Organisation | Household | None", db.session.get(model, owner_id))


def _new_key() -> str:
    return uuid.uuid4().hex


# --- pages ----------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> Any:
    require(P.view_accounts)
    communities = visible_areas(current_user, P.view_accounts, AreaLevel.community)
    ids = [c.id for c in communities]
    system: dict[tuple[int, str], Account] = {
        (a.area_id, a.kind.value): a
        for a in db.session.scalars(
            select(Account).where(Account.area_id.in_(ids), Account.kind.in_(SYSTEM_KINDS))
        )
    }
    held = {
        area_id: (count, total)
        for area_id, count, total in db.session.execute(
            select(Account.area_id, func.count(Account.id), func.sum(Account.balance))
            .where(Account.area_id.in_(ids), Account.kind.not_in(SYSTEM_KINDS))
            .group_by(Account.area_id)
        )
    }
    return render_template("ledger/index.html", communities=communities, system=system, held=held)


@bp.route("/accounts/<int:account_id>")
@login_required
def account(account_id: int) -> Any:
    acct = _load_account(account_id)
    page = page_number()
    transfers, has_next = services.history(acct, page=page, per_page=30)
    return render_template(
        "ledger/account.html",
        account=acct,
        owner=acct.owner,
        owner_kind=acct.kind.value,
        balance=services.balance_of(acct),
        transfers=transfers,
        page=page,
        has_next=has_next,
    )


@bp.route("/owners/<kind>/<int:owner_id>")
@login_required
def owner_account(kind: str, owner_id: int) -> Any:
    """The points account of a volunteer, organisation or household (none yet: zero)."""
    owner = _load_owner(kind, owner_id)
    if owner is None:
        abort(404)
    column = getattr(Account, f"{kind}_id")
    acct = db.session.scalars(select(Account).where(column == owner_id)).first()
    if acct is not None:
        _load_account(acct.id)
        return redirect(url_for("ledger.account", account_id=acct.id))
    own = isinstance(owner, Volunteer) and owner.user_id == getattr(current_user, "id", None)
    if not (own or can(current_user, P.view_accounts, owner.area)):
        abort(404)
    return render_template(
        "ledger/account.html",
        account=None,
        owner=owner,
        owner_kind=kind,
        balance=0,
        transfers=[],
        page=1,
        has_next=False,
    )


def _recipients(community: Area) -> list[tuple[str, str]]:
    volunteers = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.home_community_id == community.id)
        .order_by(Volunteer.real_name, Volunteer.id)
    )
    orgs = db.session.scalars(
        select(Organisation).where(Organisation.area_id == community.id).order_by(Organisation.name)
    )
    households = db.session.scalars(
        select(Household)
        .where(Household.community_id == community.id, Household.is_active.is_(True))
        .order_by(Household.public_no)
    )
    choices = [(f"volunteer:{v.id}", _("Volunteer %(name)s", name=v.real_name)) for v in volunteers]
    choices += [(f"organisation:{o.id}", _("Organisation %(name)s", name=o.name)) for o in orgs]
    for h in households:
        label = _("Household %(no)s %(name)s", no=h.public_no, name=h.masked_name)
        choices.append((f"household:{h.id}", label))
    return choices


def _recipient_account(value: str) -> Account:
    kind, _sep, raw = value.partition(":")
    owner = _load_owner(kind, int(raw)) if raw.isdigit() else None
    if owner is None:
        abort(404)
    if isinstance(owner, Volunteer):
        return services.account_for_volunteer(owner)
    if isinstance(owner, Organisation):
        return services.account_for_organisation(owner)
    return services.account_for_household(owner)


@bp.route("/issue", methods=["GET", "POST"])
@login_required
def issue() -> Any:
    """Issue points from a community's issuance account, with a reason."""
    require(P.issue_points)
    communities = visible_areas(current_user, P.issue_points, AreaLevel.community)
    chosen = request.args.get("community", type=int)
    if chosen is None and len(communities) == 1:
        chosen = communities[0].id
    community = next((c for c in communities if c.id == chosen), None)
    if chosen is not None and community is None:
        abort(404)
    if community is None:
        return render_template("ledger/issue.html", communities=communities, community=None)

    form = IssueForm()
    form.recipient.choices = _recipients(community)
    if request.method == "GET":
        form.idempotency_key.data = _new_key()
        if request.args.get("to"):
            form.recipient.data = request.args["to"]
    if form.validate_on_submit():
        community_id = community.id

        def unit() -> Transfer:
            where = db.session.get(Area, community_id)
            assert where is not None
            return services.transfer(
                debit=services.system_account(where, AccountKind.issuance),
                credit=_recipient_account(form.recipient.data or ""),
                amount=form.amount.data or 0,
                kind=TransferKind.issue,
                actor=current_user,
                memo=form.reason.data or "",
                idempotency_key=f"issue-form:{form.idempotency_key.data}",
            )

        try:
            record = services.run_in_transaction(unit)
        except DomainError as error:
            form.amount.errors = [*form.amount.errors, error.message]
        else:
            flash(
                _(
                    "%(points)s points issued to %(who)s.",
                    points=record.amount,
                    who=account_label(record.credit_account),
                ),
                "success",
            )
            return redirect(url_for("ledger.account", account_id=record.credit_account_id))
    return render_template(
        "ledger/issue.html", communities=communities, community=community, form=form
    )


@bp.route("/transfers/<int:transfer_id>")
@login_required
def transfer(transfer_id: int) -> Any:
    record = _load_transfer(transfer_id)
    return render_template(
        "ledger/transfer.html", transfer=record, refusal=reversal_refusal(record)
    )


@bp.route("/transfers/<int:transfer_id>/reverse", methods=["GET", "POST"])
@login_required
def reverse(transfer_id: int) -> Any:
    """Confirm and reverse a transfer, with a reason."""
    record = _load_transfer(transfer_id)
    if not can(current_user, P.reverse_transfers, record.area):
        abort(403)
    refusal = reversal_refusal(record)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("ledger.transfer", transfer_id=record.id))
    form = ReverseForm()
    if request.method == "GET":
        form.idempotency_key.data = _new_key()
    if form.validate_on_submit():

        def unit() -> Transfer:
            original = db.session.get(Transfer, transfer_id)
            assert original is not None
            return services.reverse(
                original,
                actor=current_user,
                reason=form.reason.data or "",
                idempotency_key=f"reverse-form:{form.idempotency_key.data}",
            )

        try:
            services.run_in_transaction(unit)
        except DomainError as error:
            form.reason.errors = [*form.reason.errors, error.message]
        else:
            flash(_("The transfer was reversed."), "success")
            return redirect(url_for("ledger.transfer", transfer_id=transfer_id))
    return render_template("ledger/reverse.html", transfer=record, form=form)
