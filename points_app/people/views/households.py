"""Household pages: list, register, masked detail, audited private view, edit."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import load_or_404, require, unit_of_work
from points_app.extensions import db
from points_app.people import queries, services
from points_app.people.forms import HouseholdForm, NumberLookupForm, apply_domain_error
from points_app.people.models import Household, HouseholdCategory
from points_app.people.views import bp
from points_app.people.views.common import (
    drop_personal_number,
    household_category_label,
    indent,
    list_args,
    start_writing,
)

P = Permission


def _no_store(body: str) -> Any:
    """A page with personal data: never cached by the browser or a proxy."""
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/households", methods=["GET", "POST"])
@login_required
def households() -> Any:
    require(P.view_households)
    if (response := drop_personal_number("people.households")) is not None:
        return response
    args = list_args()
    page = queries.households_page(current_user, **args)
    return render_template(
        "people/households.html",
        page=page,
        q=args["q"],
        community_id=args["community_id"],
        communities=queries.communities_visible(current_user, P.view_households),
    )


@bp.route("/households/find", methods=["GET", "POST"])
@login_required
def find_household() -> Any:
    require(P.view_household_private)
    form = NumberLookupForm()
    found: list[Household] | None = None
    if form.validate_on_submit():
        with unit_of_work():
            found = services.find_households_by_number(current_user, form.number.data or "")
        form.number.data = ""  # do not echo the number back
    return _no_store(render_template("people/household_find.html", form=form, found=found))


def _household_form(household: Household | None = None) -> HouseholdForm:
    form = HouseholdForm(obj=household)
    form.category.choices = [(c.value, household_category_label(c)) for c in HouseholdCategory]
    form.area_id.choices = [
        (a.id, indent(a)) for a in queries.household_area_choices(current_user, P.manage_households)
    ]
    if household is None:
        del form.is_active
    return form


def _form_values(form: HouseholdForm) -> dict[str, Any]:
    area = db.session.get(Area, form.area_id.data)
    if area is None:
        abort(404)
    return {
        "head_name": form.head_name.data or "",
        "members_count": form.members_count.data,
        "address": form.address.data or "",
        "area": area,
        "category": HouseholdCategory(form.category.data),
        "id_number": form.id_number.data,
        "phone": form.phone.data,
    }


@bp.route("/households/new", methods=["GET", "POST"])
@login_required
def new_household() -> Any:
    require(P.manage_households)
    form = _household_form()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                household = services.create_household(current_user, **_form_values(form))
        except DomainError as error:
            apply_domain_error(form, error, "head_name")
        else:
            flash(_("Household %(no)s registered.", no=household.public_no), "success")
            return redirect(url_for("people.household_detail", household_id=household.id))
    return _no_store(render_template("people/household_form.html", form=form, household=None))


@bp.route("/households/<int:household_id>")
@login_required
def household_detail(household_id: int) -> Any:
    household = load_or_404(Household, household_id, P.view_households)
    return render_template(
        "people/household_detail.html",
        details=services.household_details(current_user, household),
        household=household,
        pairings=queries.pairings_of(current_user, household=household),
    )


@bp.route("/households/<int:household_id>/private")
@login_required
def household_private(household_id: int) -> Any:
    start_writing()  # the audit entry is written by this GET
    household = load_or_404(Household, household_id, P.view_household_private)
    with unit_of_work():
        details = services.household_details(current_user, household, private=True)
    return _no_store(
        render_template(
            "people/household_detail.html",
            details=details,
            household=household,
            pairings=queries.pairings_of(current_user, household=household),
        )
    )


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@login_required
def edit_household(household_id: int) -> Any:
    start_writing()  # showing the form writes an audit entry
    household = load_or_404(Household, household_id, P.view_households)
    require(P.manage_households, household.area)
    if not can(current_user, P.view_household_private, household.area):
        abort(404)
    form = _household_form(household)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_household(
                    current_user,
                    household,
                    **_form_values(form),
                    is_active=bool(form.is_active.data),
                )
        except DomainError as error:
            apply_domain_error(form, error, "head_name")
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("people.household_detail", household_id=household_id))
    elif not form.is_submitted():
        form.area_id.data = household.area.id
        with unit_of_work():
            services.household_details(current_user, household, private=True, purpose="edit")
    return _no_store(render_template("people/household_form.html", form=form, household=household))
