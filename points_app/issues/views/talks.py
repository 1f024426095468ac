"""Talk session pages (说事会), the community settings and the dashboard."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area, AreaLevel
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, page_number, require, unit_of_work
from points_app.extensions import db
from points_app.issues import deadlines, queries, services
from points_app.issues.forms import SettingsForm, TalkSessionForm
from points_app.issues.models import AttendeeKind, TalkSession
from points_app.issues.services import AttendeeInput
from points_app.issues.views import area_choices, bp

VIEW = queries.VIEW
SESSION_LEVELS = (AreaLevel.community, AreaLevel.grid, AreaLevel.microgrid)
SESSION_ERROR_FIELDS = {
    "place_required": "place",
    "chair_required": "chair",
    "date_required": "held_on",
    "invalid_area": "area_id",
    "forbidden": "area_id",
    "invalid_count": "attendees",
}


@bp.route("/dashboard")
@login_required
def dashboard() -> Any:
    require(VIEW)
    today = deadlines.today()
    return render_template(
        "issues/dashboard.html", board=queries.dashboard(current_user, today), today=today
    )


@bp.route("/talks/")
@login_required
def talks() -> Any:
    require(VIEW)
    today = deadlines.today()
    sessions, has_next = queries.list_sessions(current_user, page=page_number())
    return render_template(
        "issues/talks.html",
        sessions=sessions,
        has_next=has_next,
        communities=queries.community_talks(current_user, today),
        today=today,
    )


def _session_form(session: TalkSession | None = None) -> TalkSessionForm:
    # Not obj=session: the attendee rows go by kind, not by the session's list.
    values = {}
    if session is not None:
        values = {
            "area_id": session.area_id,
            "held_on": session.held_on,
            "place": session.place,
            "chair": session.chair,
            "minutes": session.minutes,
        }
    form = TalkSessionForm(**values)
    form.area_id.choices = area_choices(current_user, Permission.deliberate_issue, *SESSION_LEVELS)
    if session is not None and not form.is_submitted():
        for row, kind in zip(form.attendees, AttendeeKind, strict=False):
            match = next((a for a in session.attendees if a.kind is kind), None)
            row.form.count.data = match.count if match else None
            row.form.names.data = match.names if match else ""
    form.fill_kinds()
    return form


def _attendees(form: TalkSessionForm) -> list[AttendeeInput]:
    return [
        AttendeeInput(kind=kind, count=row.form.count.data, names=row.form.names.data or "")
        for row, kind in zip(form.attendees, AttendeeKind, strict=False)
        if row.form.count.data
    ]


def _show_session_error(form: TalkSessionForm, error: DomainError) -> None:
    name = SESSION_ERROR_FIELDS.get(error.code, "place")
    field = getattr(form, name)
    if name == "attendees":
        form.place.errors = [error.message]
    else:
        field.errors = [error.message]


@bp.route("/talks/new", methods=["GET", "POST"])
@login_required
def new_talk() -> Any:
    require(Permission.deliberate_issue)
    form = _session_form()
    if not form.is_submitted():
        form.held_on.data = deadlines.today()
    if form.validate_on_submit():
        area = db.session.get(Area, form.area_id.data)
        if area is None:
            abort(404)
        try:
            with unit_of_work():
                session = services.create_talk_session(
                    actor=current_user,
                    area=area,
                    held_on=form.held_on.data,
                    place=form.place.data or "",
                    chair=form.chair.data or "",
                    minutes=form.minutes.data or "",
                    attendees=_attendees(form),
                )
        except DomainError as error:
            _show_session_error(form, error)
        else:
            flash(_("Talk session saved."), "success")
            return redirect(url_for("issues.talk", session_id=session.id))
    return render_template("issues/talk_form.html", form=form, session=None)


def load_session(session_id: int) -> TalkSession:
    """A talk session the current user may see, else 404."""
    session = db.session.get(TalkSession, session_id)
    if session is None or not queries.can_see_session(current_user, session):
        abort(404)
    return session


@bp.route("/talks/<int:session_id>")
@login_required
def talk(session_id: int) -> Any:
    session = load_session(session_id)
    raised, decided = queries.session_issues(session)
    return render_template(
        "issues/talk.html", session=session, raised=raised, decided=decided,
        waiting=queries.waiting_issues(session, current_user), today=deadlines.today(),
    )  # fmt: skip


@bp.route("/talks/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_talk(session_id: int) -> Any:
    session = load_or_404(TalkSession, session_id, Permission.deliberate_issue)
    form = _session_form(session)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_talk_session(
                    session,
                    actor=current_user,
                    held_on=form.held_on.data,
                    place=form.place.data or "",
                    chair=form.chair.data or "",
                    minutes=form.minutes.data or "",
                    attendees=_attendees(form),
                )
        except DomainError as error:
            _show_session_error(form, error)
        else:
            flash(_("Talk session saved."), "success")
            return redirect(url_for("issues.talk", session_id=session.id))
    return render_template("issues/talk_form.html", form=form, session=session)


@bp.route("/settings/<int:community_id>", methods=["GET", "POST"])
@login_required
def settings(community_id: int) -> Any:
    community = load_or_404(Area, community_id, Permission.deliberate_issue)
    if community.level is not AreaLevel.community:
        abort(404)
    current = services.settings_for(community)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.save_settings(
                    community,
                    actor=current_user,
                    talk_day=form.talk_day.data or 0,
                    grid_days=form.grid_days.data or 0,
                    community_days=form.community_days.data or 0,
                    street_days=form.street_days.data or 0,
                )
        except DomainError as error:
            form.talk_day.errors = [error.message]
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("issues.talks"))
    return render_template("issues/settings.html", form=form, community=community)
