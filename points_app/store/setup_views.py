"""The store's set-up pages: stores, their products and photos, and stock in, adjusted
and sent between stores. Routes on the store blueprint (`views.bp`)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
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

from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import load_or_404, page_number, require, unit_of_work
from points_app.extensions import db
from points_app.people.models import Organisation
from points_app.store import images, queries, services
from points_app.store import verify as _verify  # noqa: F401  (registers the stock checks)
from points_app.store.forms import (
    AdjustForm,
    ProductForm,
    StockInForm,
    StoreForm,
    TransferForm,
)
from points_app.store.models import (
    Product,
    ProductCategory,
    ProductPhoto,
    StockMoveKind,
    Store,
)
from points_app.store.views import _communities, _load_store, _viewer_perms, bp


def _store_form(store: Store | None = None) -> StoreForm:
    form = StoreForm(obj=store)
    form.community_id.choices = [(a.id, a.name) for a in _communities(Permission.manage_store)]
    if store is not None:
        form.community_id.choices = [(store.community_id, store.community.name)]
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_store() -> Any:
    require(Permission.manage_store)
    form = _store_form()
    if form.validate_on_submit():
        community = db.session.get(Area, form.community_id.data)
        if community is None or not can(current_user, Permission.manage_store, community):
            abort(403)
        try:
            with unit_of_work():
                store = services.create_store(
                    community=community, name=form.name.data or "", actor=current_user,
                    opening_hours=form.opening_hours.data or "", address=form.address.data or "",
                    monthly_points_limit=form.monthly_points_limit.data,
                    monthly_visits_limit=form.monthly_visits_limit.data,
                    monthly_product_limit=form.monthly_product_limit.data,
                    void_days=form.void_days.data or 0,
                )  # fmt: skip
        except DomainError as error:
            form.name.errors = [str(error.message)]
        else:
            flash(_("Store %(name)s opened.", name=store.name), "success")
            return redirect(url_for("store.detail", store_id=store.id))
    return render_template("store/store_form.html", form=form, store=None)


@bp.route("/<int:store_id>/edit", methods=["GET", "POST"])
@login_required
def edit_store(store_id: int) -> Any:
    store = _load_store(store_id, Permission.manage_store)
    form = _store_form(store)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_store(
                    store, actor=current_user, name=form.name.data,
                    opening_hours=form.opening_hours.data, address=form.address.data,
                    monthly_points_limit=form.monthly_points_limit.data,
                    monthly_visits_limit=form.monthly_visits_limit.data,
                    monthly_product_limit=form.monthly_product_limit.data,
                    void_days=form.void_days.data or 0, is_active=form.is_active.data,
                )  # fmt: skip
        except DomainError as error:
            form.name.errors = [str(error.message)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("store.detail", store_id=store.id))
    return render_template("store/store_form.html", form=form, store=store)


@bp.route("/<int:store_id>")
@login_required
def detail(store_id: int) -> Any:
    store = _load_store(store_id, *_viewer_perms())
    products = queries.store_products(store)
    low = [p for p in products if p.is_active and p.is_low]
    return render_template("store/detail.html", store=store, products=products, low=low)


# --- products -----------------------------------------------------------------------


def _save_photo(product: Product, form: ProductForm) -> None:
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        data = images.prepare_photo(upload.read(images.MAX_UPLOAD_BYTES + 1))
        services.set_product_photo(product, data, actor=current_user)


def _show_product_error(form: ProductForm, error: DomainError) -> None:
    target = form.photo if error.code in ("invalid_upload", "upload_too_large") else form.name
    target = form.barcode if error.code == "duplicate_barcode" else target
    target.errors = [str(error.message)]


@bp.route("/<int:store_id>/products/new", methods=["GET", "POST"])
@login_required
def new_product(store_id: int) -> Any:
    store = _load_store(store_id, Permission.manage_store)
    form = ProductForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                product = services.create_product(
                    store, name=form.name.data or "", category=ProductCategory(form.category.data),
                    unit=form.unit.data or "", points_price=form.points_price.data or 0,
                    low_stock_at=form.low_stock_at.data or 0, actor=current_user,
                    barcode=form.barcode.data,
                )  # fmt: skip
                _save_photo(product, form)
        except DomainError as error:
            _show_product_error(form, error)
        else:
            flash(_("%(name)s added. Now record its stock.", name=product.name), "success")
            return redirect(url_for("store.stock_in", store_id=store.id, product=product.id))
    return render_template("store/product_form.html", form=form, store=store, product=None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit_product(product_id: int) -> Any:
    product = load_or_404(Product, product_id, Permission.manage_store)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_product(
                    product, actor=current_user, name=form.name.data,
                    category=ProductCategory(form.category.data), unit=form.unit.data,
                    points_price=form.points_price.data, low_stock_at=form.low_stock_at.data,
                    is_active=form.is_active.data, barcode=form.barcode.data,
                )  # fmt: skip
                _save_photo(product, form)
        except DomainError as error:
            _show_product_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("store.detail", store_id=product.store_id))
    return render_template(
        "store/product_form.html", form=form, store=product.store, product=product
    )


@bp.route("/products/<int:product_id>/photo")
@login_required
def product_photo(product_id: int) -> Any:
    product = db.session.get(Product, product_id)
    if product is None or not any(can(current_user, p, product.area) for p in _viewer_perms()):
        abort(404)
    photo = db.session.get(ProductPhoto, product_id)
    if photo is None:
        abort(404)
    response = Response(photo.data, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/products/<int:product_id>/moves")
@login_required
def product_moves(product_id: int) -> Any:
    product = db.session.get(Product, product_id)
    if product is None or not any(can(current_user, p, product.area) for p in _viewer_perms()):
        abort(404)
    page = page_number()
    moves, has_next = queries.product_moves(
        product, page=page, per_page=current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "store/moves.html", product=product, moves=moves, page=page, has_next=has_next
    )


# --- stock --------------------------------------------------------------------------


def _product_choices(store: Store) -> list[tuple[int, str]]:
    return [(p.id, f"{p.name} ({p.stock} {p.unit})") for p in queries.store_products(store)]


def _store_product(store: Store, product_id: int | None) -> Product:
    product = db.session.get(Product, product_id) if product_id else None
    if product is None or product.store_id != store.id:
        abort(404)
    return product


@bp.route("/<int:store_id>/stock-in", methods=["GET", "POST"])
@login_required
def stock_in(store_id: int) -> Any:
    store = _load_store(store_id, Permission.manage_store)
    form = StockInForm()
    form.product_id.choices = _product_choices(store)
    orgs = db.session.scalars(
        select(Organisation).join(Area, Area.id == Organisation.area_id)
        .where(
            Area.id.in_(store.community.ancestor_ids())
            | Area.path.startswith(store.community.path, autoescape=True)
        )
        .order_by(Organisation.name)
    ).all()  # fmt: skip
    form.donor_id.choices = [(0, _("— choose —"))] + [(o.id, o.name) for o in orgs]
    if request.method == "GET" and request.args.get("product", "").isdigit():
        form.product_id.data = int(request.args["product"])
    if form.validate_on_submit():
        product = _store_product(store, form.product_id.data)
        donor = next((o for o in orgs if o.id == form.donor_id.data), None)
        try:
            with unit_of_work():
                services.receive_stock(
                    product, quantity=form.quantity.data or 0,
                    kind=StockMoveKind(form.kind.data), donor=donor,
                    reason=form.reason.data or "", actor=current_user,
                )  # fmt: skip
        except DomainError as error:
            form.quantity.errors = [str(error.message)]
        else:
            flash(
                _("%(name)s: stock is now %(stock)s.", name=product.name, stock=product.stock),
                "success",
            )
            return redirect(url_for("store.stock_in", store_id=store.id))
    return render_template(
        "store/stock_form.html", form=form, store=store, title=_("Stock in"),
        action=url_for("store.stock_in", store_id=store.id),
    )  # fmt: skip


@bp.route("/<int:store_id>/adjust", methods=["GET", "POST"])
@login_required
def adjust(store_id: int) -> Any:
    store = _load_store(store_id, Permission.manage_store)
    form = AdjustForm()
    form.product_id.choices = _product_choices(store)
    if request.method == "GET" and request.args.get("product", "").isdigit():
        form.product_id.data = int(request.args["product"])
    if form.validate_on_submit():
        product = _store_product(store, form.product_id.data)
        try:
            with unit_of_work():
                services.adjust_stock(
                    product, delta=form.delta.data or 0, reason=form.reason.data or "",
                    actor=current_user,
                )  # fmt: skip
        except DomainError as error:
            form.delta.errors = [str(error.message)]
        else:
            flash(
                _("%(name)s: stock is now %(stock)s.", name=product.name, stock=product.stock),
                "success",
            )
            return redirect(url_for("store.detail", store_id=store.id))
    return render_template(
        "store/stock_form.html", form=form, store=store, title=_("Adjust stock"),
        action=url_for("store.adjust", store_id=store.id),
    )  # fmt: skip


@bp.route("/<int:store_id>/transfer", methods=["GET", "POST"])
@login_required
def transfer(store_id: int) -> Any:
    store = _load_store(store_id, Permission.manage_store)
    form = TransferForm()
    form.product_id.choices = _product_choices(store)
    targets = [
        s for s in queries.visible_stores(current_user)
        if s.id != store.id and can(current_user, Permission.manage_store, s.area)
    ]  # fmt: skip
    form.to_store_id.choices = [(s.id, f"{s.community.name} · {s.name}") for s in targets]
    if form.validate_on_submit():
        product = _store_product(store, form.product_id.data)
        target = next((s for s in targets if s.id == form.to_store_id.data), None)
        if target is None:
            abort(404)
        try:
            with unit_of_work():
                services.transfer_stock(
                    product, to_store=target, quantity=form.quantity.data or 0,
                    reason=form.reason.data or "", actor=current_user,
                )  # fmt: skip
        except DomainError as error:
            form.quantity.errors = [str(error.message)]
        else:
            flash(_("Sent to %(store)s.", store=target.name), "success")
            return redirect(url_for("store.detail", store_id=store.id))
    return render_template(
        "store/stock_form.html", form=form, store=store, title=_("Send to another store"),
        action=url_for("store.transfer", store_id=store.id),
    )  # fmt: skip
