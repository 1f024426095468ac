"""A volunteer's way in: the one-time set-password link an organiser shows or prints,
and confirming a volunteer who signed themselves up at an event."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.accounts.links import find_password_link, link_url
from points_app.core import qr
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, unit_of_work
from points_app.people import sign_in
from points_app.people.models import Volunteer
from points_app.people.views import bp

P = Permission
LINKS_KEPT = 5


def remember_link(volunteer_id: int, token: str) -> None:
    """Keep a fresh link's token in the organiser's session, to show it until it is used.

    Only a hash is in the database, so this page cannot be rebuilt from there.
    """
    links = dict(session.get("sign_in_links") or {})
    links[str(volunteer_id)] = token
    session["sign_in_links"] = dict(list(links.items())[-LINKS_KEPT:])


@bp.route("/volunteers/<int:volunteer_id>/sign-in-link", methods=["POST"])
@login_required
def new_sign_in_link(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.manage_people)
    try:
        with unit_of_work():
            _link, token = sign_in.send_sign_in_link(current_user, volunteer)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("people.volunteer_detail", volunteer_id=volunteer_id))
    remember_link(volunteer_id, token)
    return redirect(url_for("people.sign_in_link", volunteer_id=volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/sign-in-link")
@login_required
def sign_in_link(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.manage_people)
    token = (session.get("sign_in_links") or {}).get(str(volunteer_id))
    link = None
    if token:
        try:
            link = find_password_link(token)
        except DomainError:
            link = None
    url = link_url(token) if link is not None and token else None
    return render_template(
        "people/sign_in_link.html",
        volunteer=volunteer,
        link=link,
        url=url,
        svg=qr.svg(url) if url else None,
        may_send=sign_in.may_send_link(current_user, volunteer),
    )


@bp.route("/volunteers/<int:volunteer_id>/confirm", methods=["POST"])
@login_required
def confirm_volunteer(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.manage_people)
    with unit_of_work():
        sign_in.confirm_volunteer(current_user, volunteer)
    flash(_("%(name)s is confirmed as a volunteer.", name=volunteer.real_name), "success")
    return redirect(url_for("people.volunteer_detail", volunteer_id=volunteer_id))
