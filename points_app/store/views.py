"""Love supermarket pages: the list of stores, the counter, receipts and history. The set-up
pages are in `setup_views`, the households' cards in `card_views`; all share `bp`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.core import qr
from points_app.core.clock import local_today
from points_app.core.dates import parse_day
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, area_clause, can
from points_app.core.web import load_or_404, page_number
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.people.models import Household
from points_app.store import images, queries, services
from points_app.store import verify as _verify  # noqa: F401  (registers the stock checks)
from points_app.store.forms import (
    BasketForm,
    PhoneSearchForm,
    PhotoScanForm,
    ScanForm,
    VoidForm,
)
from points_app.store.models import (
    Product,
    Redemption,
    RedemptionStatus,
    Store,
)
from points_app.store.services import lookup

bp = Blueprint("store", __name__, url_prefix="/store")


# --- helpers ------------------------------------------------------------------------


def _load_store(store_id: int, *permissions: Permission) -> Store:
    """Load a store; 404 unless the user holds one of the permissions in its community."""
    store = queries.store_for(current_user, store_id, *permissions)
    if store is None:
        abort(404)
    return store


def _viewer_perms() -> tuple[Permission, Permission]:
    return (Permission.redeem, Permission.manage_store)


def _communities(permission: Permission) -> list[Area]:
    return list(
        db.session.scalars(
            select(Area)
            .where(
                Area.level == AreaLevel.community, area_clause(Area.path, current_user, permission)
            )
            .order_by(Area.path)
        )
    )


def _parse_day(name: str) -> dt.date | None:
    return parse_day(request.args.get(name), name)


def _today() -> dt.date:
    return local_today()


# --- stores -------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> Any:
    if not any(can(current_user, p) for p in _viewer_perms()):
        abort(403)
    stores = queries.visible_stores(current_user)
    return render_template("store/index.html", stores=stores)


# --- the counter ---------------------------------------------------------------------


@bp.route("/<int:store_id>/counter")
@login_required
def counter(store_id: int) -> Any:
    store = _load_store(store_id, Permission.redeem)
    return render_template(
        "store/counter.html", store=store, form=ScanForm(), photo_form=PhotoScanForm(),
        phone_form=PhoneSearchForm(formdata=None),
    )  # fmt: skip


def _refused_scan(store: Store, error: DomainError, form: ScanForm | None = None) -> Any:
    form = form or ScanForm()
    form.code.data = ""
    return (
        render_template(
            "store/counter.html", store=store, form=form, photo_form=PhotoScanForm(), error=error,
            phone_form=PhoneSearchForm(formdata=None),
        ),
        error.status,
    )  # fmt: skip


@bp.route("/<int:store_id>/counter", methods=["POST"])
@login_required
def scan(store_id: int) -> Any:
    store = _load_store(store_id, Permission.redeem)
    form = ScanForm()
    if not form.validate_on_submit():
        return render_template(
            "store/counter.html", store=store, form=form, photo_form=PhotoScanForm(),
            phone_form=PhoneSearchForm(formdata=None),
        ), 400  # fmt: skip
    text = form.code.data or ""
    try:
        household = services.resolve_household_card(
            text, community=store.community, actor=current_user
        )
    except DomainError as error:
        # Not a card: the number printed on the card, typed by the clerk?
        if error.code == "invalid_code" and lookup.looks_like_number(text):
            return without_card.number_check_page(store, text)
        return _refused_scan(store, error, form)
    return _basket_page(store, household, services.household_card_token(household))


@bp.route("/<int:store_id>/counter/photo", methods=["POST"])
@login_required
def scan_photo(store_id: int) -> Any:
    store = _load_store(store_id, Permission.redeem)
    form = PhotoScanForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.photo.data
    try:
        data = upload.read(images.MAX_UPLOAD_BYTES + 1) if upload else b""
        text = images.read_qr_text(data)
        household = services.resolve_household_card(
            text, community=store.community, actor=current_user
        )
    except DomainError as error:
        return _refused_scan(store, error)
    return _basket_page(store, household, services.household_card_token(household))


def _basket_page(
    store: Store,
    household: Household,
    card: str,
    *,
    quantities: dict[int, int] | None = None,
    key: str | None = None,
    error: DomainError | None = None,
    status: int = 200,
    served_without_card: bool = False,
) -> Any:
    balance = services.household_balance(household)
    use = services.month_use(store, household)
    # What can be had first; what is out of stock at the end.
    products = sorted(queries.store_products(store, active_only=True), key=lambda p: p.stock == 0)
    quantities = quantities or {}
    prices = {p.id: p.points_price for p in products}
    total = sum(prices.get(pid, 0) * qty for pid, qty in quantities.items())
    per_product_left = {}
    if store.monthly_product_limit:
        per_product_left = {
            p.id: max(store.monthly_product_limit - use.by_product.get(p.id, 0), 0)
            for p in products
        }
    form = BasketForm(card=card, key=key or uuid.uuid4().hex)
    return (
        render_template(
            "store/basket.html", store=store, household=household, balance=balance, use=use,
            products=products, quantities=quantities, total=total, form=form, error=error,
            per_product_left=per_product_left, served_without_card=served_without_card,
        ),
        status,
    )  # fmt: skip


def _basket_quantities() -> dict[int, int]:
    raw = [
        (name[4:], value or "0") for name, value in request.form.items() if name.startswith("qty-")
    ]
    return {line.product_id: line.quantity for line in services.parse_lines(raw)}


@bp.route("/<int:store_id>/redeem", methods=["POST"])
@login_required
def redeem(store_id: int) -> Any:
    store = _load_store(store_id, Permission.redeem)
    form = BasketForm()
    if not form.validate_on_submit():
        abort(400)
    card = form.card.data or ""
    try:
        household = services.resolve_household_card(
            card, community=store.community, actor=current_user
        )
    except DomainError as error:
        return _refused_scan(store, error)
    try:
        quantities = _basket_quantities()
    except DomainError as error:
        return _basket_page(store, household, card, key=form.key.data, error=error, status=422)
    if request.form.get("action") == "update":
        return _basket_page(store, household, card, quantities=quantities, key=form.key.data)
    lines = [services.BasketLine(pid, qty) for pid, qty in sorted(quantities.items())]
    try:
        redemption = ledger.run_in_transaction(
            lambda: services.redeem_basket(
                store=db.session.get(Store, store_id) or store,
                card=card,
                lines=lines,
                actor=current_user,
                idempotency_key=form.key.data or "",
            )  # fmt: skip
        )
    except DomainError as error:
        quantities, error = _capped_basket(quantities, error)
        return _basket_page(
            store, household, card, quantities=quantities, key=form.key.data, error=error,
            status=error.status,
        )  # fmt: skip
    return redirect(url_for("store.receipt", redemption_id=redemption.id))


def _capped_basket(
    quantities: dict[int, int], error: DomainError
) -> tuple[dict[int, int], DomainError]:
    """After "only N left" (stock or a monthly limit), the line is lowered to N or removed,
    and the refusal says so: the clerk checks the new total and confirms again."""
    product_id, left = error.details.get("product_id"), error.details.get("left")
    if error.code not in ("out_of_stock", "limit_reached") or product_id not in quantities:
        return quantities, error
    if not isinstance(left, int):
        return quantities, error
    capped = dict(quantities)
    product = db.session.get(Product, product_id)
    name = product.name if product else ""
    if left <= 0:
        capped.pop(product_id)
        done = _("%(product)s was taken out of the basket.", product=name)
    else:
        capped[product_id] = left
        done = _("%(product)s was lowered to %(n)s.", product=name, n=left)
    message = " ".join(
        (str(error.message), done, _("Check the new total with the household, then confirm."))
    )
    return capped, DomainError(error.code, message, error.status, **error.details)


def household_landing(scanned: qr.ScannedCode) -> Any:
    """A household card opened by a phone camera: a clerk lands on the counter with the
    card scanned; anyone else gets a polite page with nothing personal on it."""
    if current_user.is_authenticated and can(current_user, Permission.redeem):
        stores = [
            s for s in queries.visible_stores(current_user)
            if s.is_active and can(current_user, Permission.redeem, s.area)
        ]  # fmt: skip
        household = db.session.get(Household, scanned.object_id)
        here = [s for s in stores if household and s.community_id == household.community_id]
        if here or stores:
            store = (here or stores)[0]
            try:
                household = services.resolve_household_card(
                    scanned, community=store.community, actor=current_user
                )
            except DomainError as error:
                return _refused_scan(store, error)
            return _basket_page(store, household, scanned.token)
    return render_template("store/card_landing.html")


qr.register_landing("household", household_landing)


# --- receipts and voids ----------------------------------------------------------------


@bp.route("/redemptions/<int:redemption_id>")
@login_required
def receipt(redemption_id: int) -> Any:
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or not any(
        can(current_user, p, redemption.area) for p in _viewer_perms()
    ):
        abort(404)
    deadline = services.void_deadline(redemption)
    is_late = _today() > deadline
    may_void = (
        can(current_user, Permission.void_redemption, redemption.area)
        and not redemption.is_voided
        and (not is_late or services.may_void_late(current_user, redemption))
    )
    return render_template(
        "store/receipt.html", redemption=redemption, may_void=may_void, void_form=VoidForm(),
        is_late=is_late, deadline=deadline,
    )  # fmt: skip


@bp.route("/redemptions/<int:redemption_id>/void", methods=["POST"])
@login_required
def void(redemption_id: int) -> Any:
    redemption = load_or_404(Redemption, redemption_id, Permission.void_redemption)
    form = VoidForm()
    if not form.validate_on_submit():
        flash(_("Say why the redemption is voided."), "error")
        return redirect(url_for("store.receipt", redemption_id=redemption.id))
    reason = form.reason.data or ""
    try:
        ledger.run_in_transaction(
            lambda: services.void_redemption(
                db.session.get(Redemption, redemption_id) or redemption,
                actor=current_user,
                reason=reason,
            )  # fmt: skip
        )
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Voided: the points and the goods are back."), "success")
    return redirect(url_for("store.receipt", redemption_id=redemption_id))


# --- history and summary ----------------------------------------------------------------


@bp.route("/<int:store_id>/redemptions")
@login_required
def history(store_id: int) -> Any:
    store = _load_store(store_id, *_viewer_perms())
    status = request.args.get("status", "")
    clerks = queries.store_clerks(store)
    clerk = request.args.get("clerk", "")
    filters = queries.HistoryFilters(
        date_from=_parse_day("from"),
        date_to=_parse_day("to"),
        household_no=request.args.get("household", "").strip()[:40],
        status=RedemptionStatus(status) if status in RedemptionStatus.__members__ else None,
        # Only the store's own clerks: any other value shows everyone's.
        clerk_id=next((c.id for c in clerks if str(c.id) == clerk), None),
    )
    page = page_number()
    rows, has_next = queries.redemption_history(
        store, filters, page=page, per_page=current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "store/history.html", store=store, rows=rows, page=page, has_next=has_next,
        filters=filters, clerks=clerks, args={k: v for k, v in request.args.items() if k != "page"},
    )  # fmt: skip


@bp.route("/<int:store_id>/summary")
@login_required
def summary(store_id: int) -> Any:
    store = _load_store(store_id, *_viewer_perms())
    day = _parse_day("day") or _today()
    return render_template(
        "store/summary.html", store=store, summary=services.day_summary(store, day),
        previous=day - dt.timedelta(days=1), following=day + dt.timedelta(days=1),
        today=_today(),
    )  # fmt: skip


# The other pages register their routes on `bp`: a household without a working card, the
# store's set-up, the households' cards.
from points_app.store import card_views, setup_views, without_card  # noqa: E402, F401
