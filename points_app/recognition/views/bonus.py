"""Setting an event's resolution bonus; the helpers its page and the issue review use."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import flash_domain_error, load_or_404, unit_of_work
from points_app.events.models import Event, EventIssue
from points_app.extensions import db
from points_app.recognition import bonus as services
from points_app.recognition.views import bp


@bp.route("/events/<int:event_id>/bonus", methods=["POST"])
@login_required
def set_bonus(event_id: int) -> Any:
    event = load_or_404(Event, event_id, Permission.manage_events)
    try:
        points = int(request.form.get("points", "").strip() or 0)
    except ValueError:
        points = -1
    try:
        with unit_of_work():
            services.set_bonus(event, points, actor=current_user)
    except DomainError as error:
        flash_domain_error(error)
    else:
        flash(_("Resolution bonus saved."), "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.app_context_processor
def _bonus_helpers() -> dict[str, Any]:
    def event_bonus(event: Event) -> dict[str, Any]:
        linked = db.session.scalar(
            select(EventIssue.issue_id).where(EventIssue.event_id == event.id).limit(1)
        )
        return {"linked": linked is not None, "points": services.bonus_of(event)}

    return {"event_bonus": event_bonus, "issue_bonuses": services.bonuses_for}
