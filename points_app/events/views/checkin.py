"""QR check-in: the event's code on a screen or a poster, the page a phone lands on,
and the organiser's scanning page for volunteers' cards."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from points_app.core import qr
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import load_or_404, unit_of_work
from points_app.events import services
from points_app.events.models import Attendance, Event, EventSignup
from points_app.events.views import bp
from points_app.events.views.common import wants_json
from points_app.extensions import db

P = Permission
SCAN_FRESH_SECONDS = 15 * 60  # a scan lets the phone check in or out for this long
SCANS_KEPT = 5


# --- the code, on a screen and on paper -----------------------------------------------


@bp.route("/events/<int:event_id>/qr")
@login_required
def show_code(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    url = qr.code_url(services.event_token(event))
    return render_template(
        "events/qr.html",
        event=event,
        url=url,
        svg=qr.svg(url),
        seconds_left=qr.ROTATION_SECONDS - int(time.time()) % qr.ROTATION_SECONDS,
    )


@bp.route("/events/<int:event_id>/qr.svg")
@login_required
def code_svg(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    response = Response(qr.svg(qr.code_url(services.event_token(event))), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/events/<int:event_id>/poster")
@login_required
def poster(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    svg = None
    if not event.rotates_code:
        svg = qr.svg(qr.code_url(services.event_token(event)), box_size=12)
    return render_template("events/poster.html", event=event, svg=svg)


# --- the phone's side -----------------------------------------------------------------


def _remember_scan(event_id: int) -> None:
    scans = dict(session.get("event_scans") or {})
    scans[str(event_id)] = int(time.time())
    newest = sorted(scans.items(), key=lambda kv: kv[1])[-SCANS_KEPT:]
    session["event_scans"] = dict(newest)


def _has_fresh_scan(event_id: int) -> bool:
    at = (session.get("event_scans") or {}).get(str(event_id))
    return at is not None and time.time() - int(at) <= SCAN_FRESH_SECONDS


def fresh_scanned_event_id() -> int | None:
    """The event whose code this browser scanned last, if that was recent enough."""
    scans = session.get("event_scans") or {}
    fresh = [(at, key) for key, at in scans.items() if time.time() - int(at) <= SCAN_FRESH_SECONDS]
    return int(max(fresh)[1]) if fresh else None


def scanned_event_from(next_path: str) -> Event | None:
    """The event a sign-in was asked for by (its check-in page is `next`), if just scanned."""
    match = re.fullmatch(r"/events/(\d{1,10})/here", next_path.split("?")[0])
    if match is None or not _has_fresh_scan(int(match.group(1))):
        return None
    return db.session.get(Event, int(match.group(1)))


def _event_landing(scanned: qr.ScannedCode) -> Any:
    """A phone opened an event code: remember the scan, then sign in if needed."""
    event = services.event_from_code(scanned)
    _remember_scan(event.id)
    target = url_for("events.here", event_id=event.id)
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=target))
    return redirect(target)


qr.register_landing("event", _event_landing)


@bp.route("/events/<int:event_id>/here")
@login_required
def here(event_id: int) -> Any:
    volunteer = services.volunteer_for(current_user)
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    attendance = db.session.scalars(
        select(Attendance).where(
            Attendance.event_id == event.id, Attendance.volunteer_id == volunteer.id
        )
    ).first()
    fresh = _has_fresh_scan(event.id)
    if attendance is None and not fresh:
        raise DomainError(
            "scan_needed", _("Scan the event's QR code at the event to check in."), 403
        )
    now = utcnow()
    return render_template(
        "events/here.html",
        event=event,
        attendance=attendance,
        fresh=fresh,
        opens_at=event.starts_at - services.EARLY_CHECKIN,
        not_open_yet=now < event.starts_at - services.EARLY_CHECKIN,
        has_ended=now > event.ends_at,
        signup_waiting=attendance is None and _signup_waiting(event, volunteer.id),
        pairings=services.current_pairings(volunteer) if attendance is None else [],
        points=(
            services.points_for(event, attendance.minutes)
            if attendance is not None and attendance.minutes is not None
            else None
        ),
        checkout_question=_checkout_question(event, attendance, now),
    )


SHORT_STAY_MINUTES = 10


def _signup_waiting(event: Event, volunteer_id: int) -> bool:
    """The event needs a sign-up, and this volunteer's is not approved yet (or missing)."""
    if not event.signup_required:
        return False
    approved = db.session.scalar(
        select(EventSignup.approved_at).where(
            EventSignup.event_id == event.id, EventSignup.volunteer_id == volunteer_id
        )
    )
    return approved is None


def _checkout_question(event: Event, attendance: Attendance | None, now: Any) -> str:
    """What the check-out button asks; a warning when leaving now would count (almost) nothing."""
    if attendance is None or attendance.checked_out_at is not None:
        return ""
    minutes = services.minutes_counted(event, attendance.checked_in_at, now)
    if minutes >= SHORT_STAY_MINUTES:
        return _("Check out now?")
    return _(
        "You checked in at %(time)s. Checking out now counts %(minutes)s minutes of service "
        "and earns %(points)s points. Check out anyway?",
        time=format_datetime(attendance.checked_in_at, "HH:mm"),
        minutes=minutes,
        points=services.points_for(event, minutes),
    )


@bp.route("/events/<int:event_id>/here", methods=["POST"])
@login_required
def here_post(event_id: int) -> Any:
    volunteer = services.volunteer_for(current_user)
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not _has_fresh_scan(event.id):
        raise DomainError(
            "expired_code",
            _("Too long since you scanned. Scan the code shown at the event again."),
            410,
        )
    action = request.form.get("action")
    household_id = request.form.get("household_id", type=int) or None
    with unit_of_work():
        if action == "in":
            services.check_in(event, volunteer, actor=current_user, for_household_id=household_id)
        elif action == "out":
            services.check_out(event, volunteer, actor=current_user)
        else:
            abort(400)
    return redirect(url_for("events.here", event_id=event.id))


@bp.route("/events/<int:event_id>/signup", methods=["POST"])
@login_required
def signup(event_id: int) -> Any:
    volunteer = services.volunteer_for(current_user)
    event = db.session.get(Event, event_id)
    if event is None or not services.may_serve_at(volunteer, event):
        abort(404)
    with unit_of_work():
        services.sign_up(event, volunteer)
    flash(_("Signed up. The organiser will confirm."), "success")
    return redirect(url_for("events.index"))


# --- the organiser's scanner ----------------------------------------------------------


@bp.route("/events/<int:event_id>/scan")
@login_required
def scan_page(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    return render_template("events/scan.html", event=event, present=services.present(event))


@bp.route("/events/<int:event_id>/scan", methods=["POST"])
@login_required
def scan_card(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    try:
        with unit_of_work():
            action, attendance = _in_or_out(event, request.form.get("code", ""))
            name = attendance.volunteer.real_name
    except DomainError as error:
        if wants_json():
            return jsonify(error.to_dict()), error.status
        flash(error.message, "error")
        return redirect(url_for("events.scan_page", event_id=event_id))
    if action == "in":
        message = _(
            "%(name)s checked in at %(time)s.",
            name=name,
            time=format_datetime(attendance.checked_in_at, "HH:mm"),
        )
    else:
        message = _(
            "%(name)s checked out: %(duration)s.",
            name=name,
            duration=duration(attendance.minutes or 0),
        )
    if wants_json():
        return jsonify({"action": action, "name": name, "message": message})
    flash(message, "success")
    return redirect(url_for("events.scan_page", event_id=event_id))


def _in_or_out(event: Event, code: str) -> tuple[str, Attendance]:
    """Check the card's volunteer in, or out if they are in and the event wants it."""
    volunteer = services.volunteer_from_card(qr.verify(code))
    existing = db.session.scalars(
        select(Attendance).where(
            Attendance.event_id == event.id, Attendance.volunteer_id == volunteer.id
        )
    ).first()
    if existing is not None and existing.checked_out_at is None and event.needs_checkout:
        return "out", services.check_out(event, volunteer, actor=current_user)
    return "in", services.check_in(event, volunteer, actor=current_user)


@bp.route("/events/<int:event_id>/present.json")
@login_required
def present_json(event_id: int) -> Any:
    event = load_or_404(Event, event_id, P.manage_events)
    present = services.present(event)
    total = db.session.scalar(
        select(func.count(Attendance.id)).where(Attendance.event_id == event.id)
    )
    response = jsonify(
        {
            "present": [
                {"name": p["name"], "since": format_datetime(p["checked_in_at"], "HH:mm")}
                for p in present
            ],
            "count": len(present),
            "total": total or 0,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _person_landing(scanned: qr.ScannedCode) -> Any:
    """An organiser's phone opened a volunteer's card: offer the events it can check into."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    volunteer = services.volunteer_from_card(scanned)
    if not can(current_user, P.manage_events, volunteer.home_community):
        abort(404)
    events = services.open_events_for(current_user, volunteer)
    return render_template(
        "events/person_card.html", volunteer=volunteer, events=events, code=scanned.token
    )


qr.register_landing("person", _person_landing)


def duration(minutes: int) -> str:
    """Minutes as "2 h 15 min"."""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return _("%(h)s h %(m)s min", h=hours, m=rest)
    if hours:
        return _("%(h)s h", h=hours)
    return _("%(m)s min", m=rest)


@bp.app_template_filter("duration")
def _duration_filter(minutes: int | None) -> str:
    return duration(minutes or 0)
