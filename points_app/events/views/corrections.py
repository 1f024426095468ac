"""An organiser corrects the minutes of a pending attendance (marked as set by hand)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, unit_of_work
from points_app.events import services
from points_app.events.forms import MinutesForm
from points_app.events.models import Attendance
from points_app.events.views import bp


@bp.route("/events/<int:event_id>/attendances/<int:attendance_id>/minutes", methods=["GET", "POST"])
@login_required
def correct_minutes(event_id: int, attendance_id: int) -> Any:
    attendance = load_or_404(Attendance, attendance_id, Permission.approve_attendance)
    if attendance.event_id != event_id:
        abort(404)
    form = MinutesForm(minutes=attendance.minutes)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.set_minutes(attendance, form.minutes.data or 0, actor=current_user)
        except DomainError as error:
            form.minutes.errors = [*form.minutes.errors, str(error.message)]
        else:
            flash(
                _(
                    "Time of %(name)s set to %(minutes)s minutes.",
                    name=attendance.volunteer.real_name,
                    minutes=attendance.minutes,
                ),
                "success",
            )
            return redirect(url_for("events.detail", event_id=event_id) + "#attendance")
    return render_template(
        "events/minutes.html",
        attendance=attendance,
        event=attendance.event,
        form=form,
        points_now=(
            services.points_for(attendance.event, attendance.minutes)
            if attendance.minutes is not None
            else None
        ),
    )
