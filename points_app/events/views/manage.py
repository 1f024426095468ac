"""Organiser pages: event list, create and edit, detail, approvals, time added by hand."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, area_clause, can
from points_app.core.web import load_or_404, page_number, require, unit_of_work
from points_app.events import services
from points_app.events.forms import (
    EventForm,
    ManualAttendanceForm,
    PeopleServedForm,
    RejectForm,
)
from points_app.events.models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventKind,
    EventSignup,
    PointsRule,
    Project,
    ProjectStatus,
)
from points_app.events.views import bp
from points_app.events.views.common import (
    area_choices,
    close_stale_lazily,
    to_local,
    to_utc,
)
from points_app.extensions import db
from points_app.people.models import Volunteer

P = Permission


@bp.route("/events")
@login_required
def index() -> Any:
    page = page_number()
    per_page = 30
    stmt = select(Event).join(Area, Area.id == Event.area_id)
    if can(current_user, P.manage_events):
        stmt = stmt.where(area_clause(Area.path, current_user, P.manage_events))
    else:
        volunteer = db.session.scalars(
            select(Volunteer).where(Volunteer.user_id == current_user.id)
        ).first()
        if volunteer is None:
            abort(403)
        home = volunteer.home_community
        ancestors = [int(i) for i in home.ancestor_ids()]
        stmt = stmt.where(
            Area.path.startswith(home.path, autoescape=True) | Area.id.in_(ancestors),
            Event.is_cancelled.is_(False),
        )
    rows = list(
        db.session.scalars(
            stmt.order_by(Event.starts_at.desc()).offset((page - 1) * per_page).limit(per_page + 1)
        )
    )
    return render_template(
        "events/index.html", events=rows[:per_page], page=page, has_next=len(rows) > per_page
    )


def _event_form(event: Event | None = None) -> EventForm:
    form = EventForm(obj=event)
    form.fill_choices(event.kind if event is not None else None)
    form.area_id.choices = area_choices(P.manage_events)
    projects = db.session.scalars(
        select(Project)
        .join(Area, Area.id == Project.area_id)
        .where(
            Project.status == ProjectStatus.claimed,
            area_clause(Area.path, current_user, P.manage_events),
        )
        .order_by(Project.id.desc())
    )
    form.project_id.choices = [(0, "—")] + [(p.id, p.title) for p in projects]
    form.issue_ids.choices = _issue_choices()
    if event is not None and request.method == "GET":
        form.kind.data = event.kind.value
        form.points_rule.data = event.points_rule.value
        form.starts_at.data = to_local(event.starts_at)
        form.ends_at.data = to_local(event.ends_at)
        form.project_id.data = event.project_id or 0
        form.issue_ids.data = services.issue_ids_of(event)
    return form


def _issue_choices() -> list[tuple[int, str]]:
    from points_app.issues.models import Issue

    stmt = (
        select(Issue)
        .join(Area, Area.id == Issue.area_id)
        .where(area_clause(Area.path, current_user, P.manage_events))
        .order_by(Issue.id.desc())
        .limit(200)
    )
    return [(i.id, f"#{i.id} {getattr(i, 'title', '')}") for i in db.session.scalars(stmt)]


def _form_data(form: EventForm) -> services.EventData:
    area = db.session.get(Area, form.area_id.data)
    if area is None or not can(current_user, P.manage_events, area):
        abort(404)
    project = None
    if form.project_id.data:
        project = load_or_404(Project, form.project_id.data, P.manage_events)
    assert form.starts_at.data is not None and form.ends_at.data is not None
    return services.EventData(
        title=form.title.data or "",
        kind=EventKind(form.kind.data),
        area=area,
        starts_at=to_utc(form.starts_at.data),
        ends_at=to_utc(form.ends_at.data),
        place=form.place.data or "",
        description=form.description.data or "",
        capacity=form.capacity.data,
        signup_required=bool(form.signup_required.data),
        points_rule=PointsRule(form.points_rule.data),
        points_value=form.points_value.data or 0,
        points_cap=form.points_cap.data,
        needs_checkout=bool(form.needs_checkout.data),
        needs_approval=bool(form.needs_approval.data),
        rotates_code=bool(form.rotates_code.data),
        project=project,
        issue_ids=tuple(form.issue_ids.data or ()),
    )


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event() -> Any:
    require(P.manage_events)
    form = _event_form()
    if request.method == "GET":
        kind = request.args.get("kind")
        if kind in {k.value for k in EventKind}:
            form.kind.data = kind
        project_id = request.args.get("project", type=int)
        if project_id:
            form.project_id.data = project_id
    if form.validate_on_submit():
        try:
            with unit_of_work():
                event = services.create_event(_form_data(form), actor=current_user)
        except DomainError as error:
            form.title.errors = [error.message]
        else:
            flash(_("Event created. Show or print its QR code for check-in."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    form = _event_form(event)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_event(event, _form_data(form), actor=current_user)
        except DomainError as error:
            form.title.errors = [error.message]
        else:
            flash(_("Event saved."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=event)


@bp.route("/events/<int:event_id>")
@login_required
def detail(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    event = close_stale_lazily(event)
    attendances = services.attendances_of(event)
    signups = list(
        db.session.scalars(
            select(EventSignup).where(EventSignup.event_id == event.id).order_by(EventSignup.id)
        )
    )
    manual = ManualAttendanceForm()
    manual.volunteer_id.choices = _volunteer_choices(event)
    return render_template(
        "events/detail.html",
        event=event,
        attendances=attendances,
        signups=signups,
        pending=sum(
            1
            for a in attendances
            if a.status is AttendanceStatus.pending and a.volunteer.is_confirmed
        ),
        unconfirmed=sum(
            1
            for a in attendances
            if a.status is AttendanceStatus.pending and not a.volunteer.is_confirmed
        ),
        reject_form=RejectForm(),
        manual_form=manual,
        served_form=PeopleServedForm(people_served=event.people_served),
        can_approve=can(current_user, P.approve_attendance, event.area),
    )


def _volunteer_choices(event: Event) -> list[tuple[int, str]]:
    stmt = (
        select(Volunteer)
        .join(Area, Area.id == Volunteer.home_community_id)
        .where(area_clause(Area.path, current_user, P.manage_events))
        .order_by(Volunteer.real_name)
        .limit(500)
    )
    return [
        (v.id, f"{v.real_name} {v.masked_phone}")
        for v in db.session.scalars(stmt)
        if services.may_serve_at(v, event)
    ]


def _load_attendance(event_id: int, attendance_id: int) -> Attendance:
    attendance = load_or_404(Attendance, attendance_id, P.approve_attendance)
    if attendance.event_id != event_id:
        abort(404)
    return attendance


def _back(event_id: int) -> Any:
    return redirect(url_for("events.detail", event_id=event_id) + "#attendance")


@bp.route("/events/<int:event_id>/attendances/<int:attendance_id>/approve", methods=["POST"])
@login_required
def approve(event_id: int, attendance_id: int) -> Any:
    attendance = _load_attendance(event_id, attendance_id)
    try:
        with unit_of_work():
            attendance = services.approve_attendance(attendance, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            _(
                "Approved: %(points)s points for %(name)s.",
                points=attendance.points_awarded,
                name=attendance.volunteer.real_name,
            ),
            "success",
        )
    return _back(event_id)


@bp.route("/events/<int:event_id>/attendances/<int:attendance_id>/reject", methods=["POST"])
@login_required
def reject(event_id: int, attendance_id: int) -> Any:
    attendance = _load_attendance(event_id, attendance_id)
    form = RejectForm()
    try:
        with unit_of_work():
            services.reject_attendance(attendance, form.reason.data or "", actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Attendance rejected."), "success")
    return _back(event_id)


@bp.route("/events/<int:event_id>/approve-all", methods=["POST"])
@login_required
def approve_all(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.approve_attendance)
    try:
        with unit_of_work():
            count = services.bulk_approve(event, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("%(n)s attendances approved.", n=count), "success")
    return _back(event_id)


@bp.route("/events/<int:event_id>/attendances/manual", methods=["POST"])
@login_required
def add_manual(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    form = ManualAttendanceForm()
    form.volunteer_id.choices = _volunteer_choices(event)
    if not form.validate_on_submit():
        flash(_("Choose a volunteer and enter the minutes."), "error")
        return _back(event_id)
    volunteer = load_or_404(Volunteer, form.volunteer_id.data or 0, P.view_people)
    try:
        with unit_of_work():
            services.add_manual_attendance(
                event,
                volunteer,
                form.minutes.data or 0,
                actor=current_user,
                note=form.note.data or "",
            )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Time added by hand for %(name)s.", name=volunteer.real_name), "success")
    return _back(event_id)


@bp.route("/events/<int:event_id>/people-served", methods=["POST"])
@login_required
def people_served(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    form = PeopleServedForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.record_people_served(event, form.people_served.data or 0, actor=current_user)
        flash(_("Saved."), "success")
    else:
        flash(_("Enter a number of people."), "error")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/events/<int:event_id>/signups/<int:signup_id>/approve", methods=["POST"])
@login_required
def approve_signup(event_id: int, signup_id: int) -> Any:
    signup = load_or_404(EventSignup, signup_id, P.manage_events)
    if signup.event_id != event_id:
        abort(404)
    with unit_of_work():
        services.approve_signup(signup, actor=current_user)
    return redirect(url_for("events.detail", event_id=event_id) + "#signups")
