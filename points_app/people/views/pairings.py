"""Pairing pages: list, pair a household with a partner, detail, end."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.core.clock import local_today
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import load_or_404, require, unit_of_work
from points_app.extensions import db
from points_app.people import queries, services
from points_app.people.forms import EndPairingForm, PairingForm, apply_domain_error
from points_app.people.models import Household, Organisation, Pairing, Volunteer
from points_app.people.views import bp
from points_app.people.views.common import drop_personal_number, int_arg, list_args

P = Permission
STATUSES = ("current", "future", "ended", "all")


@bp.route("/pairings", methods=["GET", "POST"])
@login_required
def pairings() -> Any:
    require(P.view_households)
    if (response := drop_personal_number("people.pairings")) is not None:
        return response
    args = list_args()
    status = request.args.get("status", "current")
    if status not in STATUSES:
        status = "current"
    page = queries.pairings_page(current_user, status=status, today=local_today(), **args)
    return render_template(
        "people/pairings.html",
        page=page,
        q=args["q"],
        status=status,
        community_id=args["community_id"],
        communities=queries.communities_visible(current_user, P.view_households),
    )


def _household_label(household: Household) -> str:
    return f"{household.public_no} · {household.masked_name}"


def _partner_choices(
    volunteers: list[Volunteer], organisations: list[Organisation]
) -> list[tuple[str, str]]:
    return [(f"v:{v.id}", _("Volunteer: %(name)s", name=v.real_name)) for v in volunteers] + [
        (f"o:{o.id}", _("Organisation: %(name)s", name=o.name)) for o in organisations
    ]


def _context() -> tuple[Household | None, Volunteer | None, Organisation | None]:
    """The household or partner the pairing page was opened from (?household=, ...)."""
    household = volunteer = organisation = None
    if (household_id := int_arg("household")) is not None:
        household = load_or_404(Household, household_id, P.manage_pairings)
    elif (volunteer_id := int_arg("volunteer")) is not None:
        volunteer = load_or_404(Volunteer, volunteer_id, P.view_people)
    elif (organisation_id := int_arg("organisation")) is not None:
        organisation = load_or_404(Organisation, organisation_id, P.view_people)
    return household, volunteer, organisation


def _parse_partner(value: str) -> tuple[Volunteer | None, Organisation | None]:
    kind, _sep, raw_id = value.partition(":")
    if kind not in ("v", "o") or not raw_id.isdigit() or len(raw_id) > 10:
        abort(404)
    object_id = int(raw_id)
    if kind == "v":
        volunteer = db.session.get(Volunteer, object_id)
        if volunteer is None:
            abort(404)
        return volunteer, None
    organisation = db.session.get(Organisation, object_id)
    if organisation is None:
        abort(404)
    return None, organisation


@bp.route("/pairings/new", methods=["GET", "POST"])
@login_required
def new_pairing() -> Any:
    require(P.manage_pairings)
    household, volunteer, organisation = _context()
    if household is None and volunteer is None and organisation is None:
        # First step: pick the household.
        return render_template(
            "people/pairing_pick.html", households=queries.households_for_pairing(current_user)
        )
    form = PairingForm()
    if household is not None:
        form.household_id.choices = [(household.id, _household_label(household))]
        form.partner.choices = _partner_choices(*queries.partners_for(household))
    else:
        partner = volunteer or organisation
        assert partner is not None
        form.household_id.choices = [
            (h.id, _household_label(h))
            for h in queries.households_for_pairing(current_user, partner.area)
        ]
        form.partner.choices = _partner_choices(
            [volunteer] if volunteer else [], [organisation] if organisation else []
        )
    if request.method == "GET":
        form.start_date.data = local_today()
    if form.validate_on_submit():
        chosen = load_or_404(Household, form.household_id.data or 0, P.manage_pairings)
        partner_volunteer, partner_organisation = _parse_partner(form.partner.data or "")
        try:
            with unit_of_work():
                pairing = services.create_pairing(
                    current_user,
                    household=chosen,
                    volunteer=partner_volunteer,
                    organisation=partner_organisation,
                    start_date=form.start_date.data,
                    end_date=form.end_date.data,
                )
        except DomainError as error:
            apply_domain_error(form, error, "partner")
        else:
            flash(_("Paired."), "success")
            return redirect(url_for("people.pairing_detail", pairing_id=pairing.id))
    return render_template(
        "people/pairing_form.html",
        form=form,
        household=household,
        partner=volunteer or organisation,
    )


def _pairing_page(pairing: Pairing, form: EndPairingForm | None = None) -> Any:
    can_end = pairing.end_date is None and can(current_user, P.manage_pairings, pairing.area)
    if form is None and can_end:
        form = EndPairingForm()
        form.end_date.data = max(local_today(), pairing.start_date)
    return render_template(
        "people/pairing_detail.html", pairing=pairing, form=form, can_end=can_end
    )


@bp.route("/pairings/<int:pairing_id>")
@login_required
def pairing_detail(pairing_id: int) -> Any:
    return _pairing_page(load_or_404(Pairing, pairing_id, P.view_households))


@bp.route("/pairings/<int:pairing_id>/end", methods=["POST"])
@login_required
def end_pairing(pairing_id: int) -> Any:
    pairing = load_or_404(Pairing, pairing_id, P.view_households)
    require(P.manage_pairings, pairing.area)
    form = EndPairingForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.end_pairing(current_user, pairing, end_date=form.end_date.data)
        except DomainError as error:
            if error.code == "already_ended":
                flash(str(error.message), "error")
                return redirect(url_for("people.pairing_detail", pairing_id=pairing_id))
            apply_domain_error(form, error, "end_date")
        else:
            flash(_("The pairing has ended."), "success")
            return redirect(url_for("people.pairing_detail", pairing_id=pairing_id))
    return _pairing_page(pairing, form)
