"""A first-time volunteer signs themselves up from an event's code and is checked in at
once, pending: the organiser confirms the person together with the attendance."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from points_app.accounts.views import sign_in_browser
from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.core.web import unit_of_work
from points_app.events import services
from points_app.events.forms import JoinForm
from points_app.events.models import Event
from points_app.events.views import bp
from points_app.events.views.checkin import _has_fresh_scan
from points_app.extensions import db
from points_app.people import sign_in
from points_app.people.forms import apply_domain_error
from points_app.people.models import Volunteer

FIELDS = ("real_name", "phone", "home_community_id", "password")


def _event_just_scanned(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not _has_fresh_scan(event.id):
        raise DomainError(
            "scan_needed", _("Scan the event's QR code at the event to sign up there."), 403
        )
    return event


@bp.route("/events/<int:event_id>/join", methods=["GET", "POST"])
def join(event_id: int) -> Any:
    event = _event_just_scanned(event_id)
    if current_user.is_authenticated:
        return redirect(url_for("events.here", event_id=event.id))
    form = JoinForm()
    communities = sign_in.communities_for(event.area)
    form.home_community_id.choices = [(c.id, c.name) for c in communities]
    if request.method == "GET" and len(communities) == 1:
        form.home_community_id.data = communities[0].id
    if form.validate_on_submit():
        try:
            volunteer_id, user = _register(event, form)
        except DomainError as error:
            apply_domain_error(form, error, "real_name")
            status = error.status if error.status in (409, 422, 429) else 422
            return render_template("events/join.html", form=form, event=event), status
        sign_in_browser(user, remember=True)
        _check_in_first_time(event.id, volunteer_id)
        return redirect(url_for("events.here", event_id=event.id))
    status = 422 if form.errors else 200
    return render_template("events/join.html", form=form, event=event), status


def _register(event: Event, form: JoinForm) -> tuple[int, Any]:
    home = db.session.get(Area, form.home_community_id.data or 0)
    if home is None:
        raise DomainError(
            "invalid_area",
            _("Choose the community you live in from the list."),
            422,
            field="home_community_id",
        )
    try:
        with unit_of_work():
            volunteer = sign_in.register_self(
                event_area=event.area,
                event_id=event.id,
                real_name=form.real_name.data or "",
                phone=form.phone.data or "",
                home_community=home,
                password=form.password.data or "",
                ip=request.remote_addr or "",
            )
            user = volunteer.user
            volunteer_id = volunteer.id
    except IntegrityError:  # the same phone signed up a moment ago
        raise sign_in.phone_registered_error() from None
    assert user is not None
    return volunteer_id, user


def _check_in_first_time(event_id: int, volunteer_id: int) -> None:
    """Check the new volunteer in (or sign them up where the event asks for it)."""
    event = db.session.get(Event, event_id)
    volunteer = db.session.get(Volunteer, volunteer_id)
    assert event is not None and volunteer is not None
    try:
        with unit_of_work():
            if event.signup_required:
                services.sign_up(event, volunteer)
            else:
                services.check_in(event, volunteer, actor=volunteer.user)
    except DomainError as error:
        flash(str(error.message), "info")
        return
    if event.signup_required:
        flash(_("You are signed up. The organiser will confirm you."), "success")
    else:
        flash(_("Welcome! You are checked in; the organiser will confirm you."), "success")
