"""The administrator's working-day calendar: holidays and make-up working days that
issue deadlines follow, for years the built-in calendar does not know yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.core.permissions import Permission
from points_app.core.web import require, unit_of_work
from points_app.issues import calendar, deadlines
from points_app.issues.forms import CalendarDayForm
from points_app.issues.views import bp


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def working_calendar() -> Any:
    require(Permission.manage_areas)
    form = CalendarDayForm()
    if form.validate_on_submit():
        assert form.day.data is not None
        with unit_of_work():
            calendar.set_calendar_day(
                current_user,
                form.day.data,
                is_working=form.kind.data == "working",
                note=form.note.data or "",
            )
        flash(_("Saved. New deadlines follow it."), "success")
        return redirect(url_for("issues.working_calendar"))
    known = calendar.built_in_years()
    today = deadlines.today()
    return render_template(
        "issues/calendar.html",
        form=form,
        days=calendar.calendar_days(),
        known=known,
        today=today,
        unknown_year=today.year + 1 if today.year + 1 not in known else None,
    ), (422 if request.method == "POST" else 200)


@bp.route("/calendar/<day>/clear", methods=["POST"])
@login_required
def clear_calendar_day(day: str) -> Any:
    require(Permission.manage_areas)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    with unit_of_work():
        calendar.clear_calendar_day(current_user, date)
    flash(_("Removed: the built-in calendar decides that day again."), "success")
    return redirect(url_for("issues.working_calendar"))
