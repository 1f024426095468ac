"""Volunteer pages: list, register, detail, edit."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area, AreaLevel
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import load_or_404, require, unit_of_work
from points_app.extensions import db
from points_app.people import queries, services, sign_in
from points_app.people.forms import VolunteerForm, apply_domain_error
from points_app.people.models import Volunteer
from points_app.people.views import bp
from points_app.people.views.common import (
    area_choices,
    drop_personal_number,
    list_args,
    start_writing,
)
from points_app.people.views.sign_in import remember_link

P = Permission


@bp.route("/volunteers", methods=["GET", "POST"])
@login_required
def volunteers() -> Any:
    require(P.view_people)
    if (response := drop_personal_number("people.volunteers")) is not None:
        return response
    args = list_args()
    page = queries.volunteers_page(current_user, **args)
    return render_template(
        "people/volunteers.html",
        page=page,
        q=args["q"],
        community_id=args["community_id"],
        communities=queries.communities_visible(current_user, P.view_people),
    )


def _form_area(form: VolunteerForm) -> Area:
    area = db.session.get(Area, form.home_community_id.data)
    if area is None:  # the select only offers existing areas
        abort(404)
    return area


@bp.route("/volunteers/new", methods=["GET", "POST"])
@login_required
def new_volunteer() -> Any:
    require(P.manage_people)
    form = VolunteerForm()
    form.home_community_id.choices = area_choices(P.manage_people, AreaLevel.community)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                volunteer = services.create_volunteer(
                    current_user,
                    real_name=form.real_name.data or "",
                    phone=form.phone.data or "",
                    home_community=_form_area(form),
                    is_party_member=bool(form.is_party_member.data),
                    work_unit=form.work_unit.data,
                )
                token = None
                if sign_in.may_send_link(current_user, volunteer):
                    token = sign_in.send_sign_in_link(current_user, volunteer)[1]
        except DomainError as error:
            apply_domain_error(form, error, "real_name")
        else:
            flash(_("Volunteer %(name)s registered.", name=volunteer.real_name), "success")
            if token is not None:
                remember_link(volunteer.id, token)
                return redirect(url_for("people.sign_in_link", volunteer_id=volunteer.id))
            return redirect(url_for("people.volunteer_detail", volunteer_id=volunteer.id))
    return render_template("people/volunteer_form.html", form=form, volunteer=None)


def _volunteer_page(volunteer: Volunteer, phone: str | None = None) -> Any:
    return render_template(
        "people/volunteer_detail.html",
        volunteer=volunteer,
        phone=phone,
        may_reveal=can(current_user, P.manage_people, volunteer.area),
        memberships=queries.memberships_of(volunteer),
        pairings=queries.pairings_of(current_user, volunteer=volunteer),
        may_send_link=sign_in.may_send_link(current_user, volunteer),
    )


@bp.route("/volunteers/<int:volunteer_id>")
@login_required
def volunteer_detail(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.view_people)
    return _volunteer_page(volunteer)


@bp.route("/volunteers/<int:volunteer_id>/phone", methods=["POST"])
@login_required
def reveal_volunteer_phone(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.view_people)
    require(P.manage_people, volunteer.area)
    with unit_of_work():
        phone = services.reveal_volunteer_phone(current_user, volunteer, purpose="view")
    response = make_response(_volunteer_page(volunteer, phone=phone))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@login_required
def edit_volunteer(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.view_people)
    require(P.manage_people, volunteer.area)
    form = VolunteerForm(obj=volunteer)
    form.home_community_id.choices = area_choices(P.manage_people, AreaLevel.community)
    if request.method == "GET":  # the form shows the phone in full: audited
        start_writing()
        with unit_of_work():
            services.reveal_volunteer_phone(current_user, volunteer, purpose="edit")
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_volunteer(
                    current_user,
                    volunteer,
                    real_name=form.real_name.data or "",
                    phone=form.phone.data or "",
                    home_community=_form_area(form),
                    is_party_member=bool(form.is_party_member.data),
                    work_unit=form.work_unit.data,
                )
        except DomainError as error:
            apply_domain_error(form, error, "real_name")
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("people.volunteer_detail", volunteer_id=volunteer_id))
    return render_template("people/volunteer_form.html", form=form, volunteer=volunteer)
