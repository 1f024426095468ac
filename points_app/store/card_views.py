"""The households' QR cards: the list to print, the printable sheet and a card's
replacement. Routes on the store blueprint (`views.bp`)."""

from __future__ import annotations

from typing import Any

from flask import (
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

from points_app.core.permissions import Permission, can
from points_app.core.search import search_text, settle_search
from points_app.core.web import page_number, require, unit_of_work
from points_app.extensions import db
from points_app.people.models import Household
from points_app.store import queries, services
from points_app.store import verify as _verify  # noqa: F401  (registers the stock checks)
from points_app.store.cards import card_url, qr_svg
from points_app.store.forms import (
    ConfirmForm,
)
from points_app.store.views import _communities, bp

CARDS_PER_SHEET_LIMIT = 2000

# --- household cards ---------------------------------------------------------------------


def _card_ids() -> list[int] | None:
    raw = request.args.getlist("ids") or [
        part for part in request.args.get("id", "").split(",") if part
    ]
    if not raw:
        return None
    ids = [int(v) for v in raw if v.isdigit() and 0 < int(v) < 2**31]
    return ids[:CARDS_PER_SHEET_LIMIT]


@bp.route("/cards", methods=["GET", "POST"])
@login_required
def cards() -> Any:
    require(Permission.manage_store)
    # The search text is POSTed and held in the session, never in the address.
    if (response := settle_search("store.cards", ("community",))) is not None:
        return response
    communities = _communities(Permission.manage_store)
    community_id = request.args.get("community", type=int)
    search = search_text()[:40]
    page = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    query = queries.card_households(current_user, community_id=community_id, search=search)
    rows = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    return render_template(
        "store/cards.html", households=rows[:per_page], has_next=len(rows) > per_page,
        page=page, communities=communities, community_id=community_id, search=search,
        confirm_form=ConfirmForm(),
    )  # fmt: skip


@bp.route("/cards/print")
@login_required
def print_cards() -> Any:
    require(Permission.manage_store)
    query = queries.card_households(
        current_user,
        community_id=request.args.get("community", type=int),
        ids=_card_ids(),
    ).limit(CARDS_PER_SHEET_LIMIT)
    households = list(db.session.scalars(query))
    cards_ = [(h, qr_svg(card_url(h))) for h in households]
    return render_template("store/card_sheet.html", cards=cards_)


@bp.route("/cards/<int:household_id>/replace", methods=["POST"])
@login_required
def replace_card(household_id: int) -> Any:
    household = db.session.get(Household, household_id)
    if household is None or not can(current_user, Permission.manage_store, household.community):
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work():
        version = services.replace_household_card(household, actor=current_user)
    flash(
        _(
            "Card of household %(no)s replaced (card no. %(version)s). The old card no longer "
            "works. Print the new one now.",
            no=household.public_no,
            version=version,
        ),
        "success",
    )
    return redirect(url_for("store.cards", q=household.public_no))
