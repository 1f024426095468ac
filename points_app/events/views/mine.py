"""A volunteer's own record, and volunteers' printed QR cards."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.core import qr
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, unit_of_work
from points_app.events import services
from points_app.events.views import bp
from points_app.people.models import Volunteer

P = Permission


@bp.route("/me/service")
@login_required
def my_service() -> Any:
    volunteer = services.volunteer_for(current_user)
    summary = services.service_summary(volunteer)
    return render_template(
        "events/mine.html",
        volunteer=volunteer,
        summary=summary,
        pairings=services.current_pairings(volunteer),
    )


@bp.route("/volunteers/<int:volunteer_id>/card")
@login_required
def person_card(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.manage_events)
    url = qr.code_url(services.person_token(volunteer))
    return render_template(
        "events/card.html",
        volunteer=volunteer,
        svg=qr.svg(url),
        version=services.card_version(volunteer),
    )


@bp.route("/volunteers/<int:volunteer_id>/card/reissue", methods=["POST"])
@login_required
def reissue_card(volunteer_id: int) -> Any:
    volunteer = load_or_404(Volunteer, volunteer_id, P.manage_events)
    with unit_of_work():
        services.reissue_person_card(volunteer, actor=current_user)
    flash(_("A new card was made; the old card no longer works."), "success")
    return redirect(url_for("events.person_card", volunteer_id=volunteer.id))
