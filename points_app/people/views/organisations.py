"""Organisation pages: list, register, detail with members, edit."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area, AreaLevel
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import load_or_404, require, unit_of_work
from points_app.extensions import db
from points_app.people import queries, services
from points_app.people.forms import MembershipForm, OrganisationForm, apply_domain_error
from points_app.people.models import Membership, Organisation, OrganisationKind, Volunteer
from points_app.people.views import bp
from points_app.people.views.common import (
    area_choices,
    drop_personal_number,
    list_args,
    organisation_kind_label,
)

P = Permission
ORG_LEVELS = (AreaLevel.county, AreaLevel.street, AreaLevel.community)


@bp.route("/organisations", methods=["GET", "POST"])
@login_required
def organisations() -> Any:
    require(P.view_people)
    if (response := drop_personal_number("people.organisations")) is not None:
        return response
    args = list_args()
    page = queries.organisations_page(current_user, **args)
    return render_template(
        "people/organisations.html",
        page=page,
        q=args["q"],
        community_id=args["community_id"],
        communities=queries.communities_visible(current_user, P.view_people),
    )


def _organisation_form(organisation: Organisation | None = None) -> OrganisationForm:
    form = OrganisationForm(obj=organisation)
    form.kind.choices = [(k.value, organisation_kind_label(k)) for k in OrganisationKind]
    form.area_id.choices = area_choices(P.manage_people, *ORG_LEVELS)
    return form


def _form_area(form: OrganisationForm) -> Area:
    area = db.session.get(Area, form.area_id.data)
    if area is None:
        abort(404)
    return area


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def new_organisation() -> Any:
    require(P.manage_people)
    form = _organisation_form()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                organisation = services.create_organisation(
                    current_user,
                    name=form.name.data or "",
                    kind=OrganisationKind(form.kind.data),
                    area=_form_area(form),
                    contact_phone=form.contact_phone.data,
                )
        except DomainError as error:
            apply_domain_error(form, error, "name")
        else:
            flash(_("Organisation %(name)s registered.", name=organisation.name), "success")
            return redirect(url_for("people.organisation_detail", organisation_id=organisation.id))
    return render_template("people/organisation_form.html", form=form, organisation=None)


def _membership_form(organisation: Organisation) -> MembershipForm:
    form = MembershipForm()
    form.volunteer_id.choices = [
        (v.id, f"{v.real_name} · {v.home_community.name}")
        for v in queries.member_candidates(current_user, organisation)
    ]
    return form


def _detail(organisation: Organisation, member_form: MembershipForm | None = None) -> Any:
    can_manage = can(current_user, P.manage_people, organisation.area)
    if member_form is None and can_manage:
        member_form = _membership_form(organisation)
    return render_template(
        "people/organisation_detail.html",
        organisation=organisation,
        can_manage=can_manage,
        members=queries.members_of(organisation),
        member_form=member_form,
        pairings=queries.pairings_of(current_user, organisation=organisation),
    )


@bp.route("/organisations/<int:organisation_id>")
@login_required
def organisation_detail(organisation_id: int) -> Any:
    return _detail(load_or_404(Organisation, organisation_id, P.view_people))


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(organisation_id: int) -> Any:
    organisation = load_or_404(Organisation, organisation_id, P.view_people)
    require(P.manage_people, organisation.area)
    form = _organisation_form(organisation)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_organisation(
                    current_user,
                    organisation,
                    name=form.name.data or "",
                    kind=OrganisationKind(form.kind.data),
                    area=_form_area(form),
                    contact_phone=form.contact_phone.data,
                )
        except DomainError as error:
            apply_domain_error(form, error, "name")
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("people.organisation_detail", organisation_id=organisation_id))
    return render_template("people/organisation_form.html", form=form, organisation=organisation)


@bp.route("/organisations/<int:organisation_id>/members", methods=["POST"])
@login_required
def add_member(organisation_id: int) -> Any:
    organisation = load_or_404(Organisation, organisation_id, P.view_people)
    require(P.manage_people, organisation.area)
    form = _membership_form(organisation)
    if form.validate_on_submit():
        volunteer = load_or_404(Volunteer, form.volunteer_id.data or 0, P.view_people)
        try:
            with unit_of_work():
                services.add_member(
                    current_user, organisation, volunteer, is_leader=bool(form.is_leader.data)
                )
        except DomainError as error:
            apply_domain_error(form, error, "volunteer_id")
        else:
            flash(_("%(name)s added.", name=volunteer.real_name), "success")
            return redirect(url_for("people.organisation_detail", organisation_id=organisation_id))
    return _detail(organisation, form)


@bp.route(
    "/organisations/<int:organisation_id>/members/<int:membership_id>/remove", methods=["POST"]
)
@login_required
def remove_member(organisation_id: int, membership_id: int) -> Any:
    organisation = load_or_404(Organisation, organisation_id, P.view_people)
    require(P.manage_people, organisation.area)
    membership = load_or_404(Membership, membership_id, P.view_people)
    if membership.organisation_id != organisation.id:
        abort(404)
    name = membership.volunteer.real_name
    try:
        with unit_of_work():
            services.remove_member(current_user, membership)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("%(name)s is no longer a member.", name=name), "success")
    return redirect(url_for("people.organisation_detail", organisation_id=organisation_id))
