"""Party members' yearly registration (报到) and the needs list (居民点单、社区下单、党员接单)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, area_clause, can
from points_app.core.web import load_or_404, unit_of_work
from points_app.events import party as services
from points_app.events.forms import NeedForm
from points_app.events.models import Need, NeedSource, NeedStatus
from points_app.events.services import volunteer_for
from points_app.events.views import bp
from points_app.events.views.common import area_choices
from points_app.extensions import db
from points_app.people.models import Volunteer

P = Permission


def _my_volunteer() -> Volunteer | None:
    return db.session.scalars(select(Volunteer).where(Volunteer.user_id == current_user.id)).first()


@bp.route("/needs")
@login_required
def needs() -> Any:
    volunteer = _my_volunteer()
    staff = can(current_user, P.manage_events)
    if not staff and volunteer is None:
        abort(403)
    stmt = select(Need).join(Area, Area.id == Need.community_id)
    if staff:
        stmt = stmt.where(area_clause(Area.path, current_user, P.manage_events))
    else:
        assert volunteer is not None
        stmt = stmt.where(Need.community_id == volunteer.home_community_id)
    rows = db.session.scalars(
        stmt.where(Need.status.in_([NeedStatus.open, NeedStatus.claimed]))
        .order_by(Need.id.desc())
        .limit(200)
    )
    form = None
    if staff:
        form = NeedForm()
        form.community_id.choices = area_choices(P.manage_events, AreaLevel.community)
    registration = (
        services.registration_for(volunteer, utcnow().year) if volunteer is not None else None
    )
    return render_template(
        "events/needs.html",
        needs=list(rows),
        form=form,
        volunteer=volunteer,
        registration=registration,
        staff=staff,
    )


@bp.route("/needs/new", methods=["POST"])
@login_required
def new_need() -> Any:
    form = NeedForm()
    form.community_id.choices = area_choices(P.manage_events, AreaLevel.community)
    if not form.validate_on_submit():
        flash(_("Say what is needed and where."), "error")
        return redirect(url_for("events.needs"))
    community = db.session.get(Area, form.community_id.data)
    if community is None or not can(current_user, P.manage_events, community):
        abort(404)
    with unit_of_work():
        services.post_need(
            community=community,
            title=form.title.data or "",
            source=NeedSource(form.source.data),
            description=form.description.data or "",
            actor=current_user,
        )
    flash(_("The need is on the list."), "success")
    return redirect(url_for("events.needs"))


@bp.route("/party/register", methods=["POST"])
@login_required
def party_register() -> Any:
    volunteer = volunteer_for(current_user)
    with unit_of_work():
        services.register_party_member(volunteer, actor=current_user)
    flash(
        _("Registered with %(community)s for this year.", community=volunteer.home_community.name),
        "success",
    )
    return redirect(url_for("events.needs"))


@bp.route("/needs/<int:need_id>/claim", methods=["POST"])
@login_required
def claim_need(need_id: int) -> Any:
    volunteer = volunteer_for(current_user)
    need = db.session.get(Need, need_id)
    if need is None or need.community_id != volunteer.home_community_id:
        abort(404)
    try:
        with unit_of_work():
            services.transition_need(
                need, NeedStatus.claimed, actor=current_user, volunteer=volunteer
            )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("You took this need on. Thank you!"), "success")
    return redirect(url_for("events.needs"))


@bp.route("/needs/<int:need_id>/<any(done, open, cancelled):to>", methods=["POST"])
@login_required
def move_need(need_id: int, to: str) -> Any:
    need = load_or_404(Need, need_id, P.manage_events)
    try:
        with unit_of_work():
            services.transition_need(need, NeedStatus(to), actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("events.needs"))
