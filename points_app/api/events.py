"""Check-in and attendance approval over /api/v1, on the same services as the pages."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from points_app.api.idempotency import idempotent
from points_app.api.openapi import api_doc, component
from points_app.api.validation import read_json
from points_app.api.views import bp
from points_app.core import qr
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.events import services
from points_app.events.models import Attendance, Event
from points_app.extensions import db

CHECKIN_REQUEST = {
    "type": "object",
    "required": ["code"],
    "properties": {
        "code": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1000,
            "description": "The event's code (the caller checks themself in), or a "
            "volunteer's card (an organiser checks them in; give `event_id`).",
        },
        "action": {"type": "string", "enum": ["in", "out"], "default": "in"},
        "event_id": {"type": "integer", "minimum": 1},
        "household_id": {
            "type": "integer",
            "minimum": 1,
            "description": "Earn for this paired household instead of oneself.",
        },
    },
}
ATTENDANCE = component(
    "Attendance",
    {
        "type": "object",
        "required": ["id", "event_id", "volunteer_id", "status", "checked_in_at"],
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "volunteer_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
            "checked_in_at": {"type": "string", "format": "date-time"},
            "checked_out_at": {"type": ["string", "null"], "format": "date-time"},
            "minutes": {"type": ["integer", "null"]},
            "points_awarded": {"type": ["integer", "null"]},
            "points_pending": {"type": ["integer", "null"]},
            "transfer_id": {"type": ["integer", "null"]},
            "for_household_id": {"type": ["integer", "null"]},
            "is_manual": {"type": "boolean"},
            "needs_review": {"type": "boolean"},
        },
    },
)
APPROVAL = component(
    "Approval",
    {
        "type": "object",
        "required": ["attendance", "transfer"],
        "properties": {
            "attendance": ATTENDANCE,
            "transfer": {
                "type": ["object", "null"],
                "description": "The points transfer (null when the rule gives 0 points).",
                "properties": {
                    "id": {"type": "integer"},
                    "amount": {"type": "integer"},
                    "debit_account_id": {"type": "integer"},
                    "credit_account_id": {"type": "integer"},
                },
            },
        },
    },
)


def attendance_json(a: Attendance) -> dict[str, Any]:
    """An attendance as the API shows it."""
    pending = None
    if a.status.value == "pending" and a.minutes is not None:
        pending = services.points_for(a.event, a.minutes)
    return {
        "id": a.id,
        "event_id": a.event_id,
        "volunteer_id": a.volunteer_id,
        "status": a.status.value,
        "checked_in_at": a.checked_in_at.isoformat(),
        "checked_out_at": a.checked_out_at.isoformat() if a.checked_out_at else None,
        "minutes": a.minutes,
        "points_awarded": a.points_awarded,
        "points_pending": pending,
        "transfer_id": a.transfer_id,
        "for_household_id": a.for_household_id,
        "is_manual": a.is_manual,
        "needs_review": a.needs_review,
    }


@bp.post("/checkins")
@api_doc(
    "Check in or out at an event",
    description="With an event's code the caller (a volunteer) checks in or out; with a "
    "volunteer's card and `event_id`, an organiser of the event checks them in or out.",
    tags=["events"],
    body=CHECKIN_REQUEST,
    responses={
        201: ("Checked in", ATTENDANCE),
        200: ("Checked out", ATTENDANCE),
        400: "`invalid_code`: a forged or damaged code.",
        403: "`no_volunteer_profile`, `other_community`, `not_signed_up`, `signup_not_approved`.",
        404: "`not_found`: no such event among yours.",
        409: "`already_checked_in`, `already_checked_out`, `not_checked_in`, `not_started`, "
        "`event_ended`, `event_full`.",
        410: "`expired_code` (an old rotating event code) or `card_revoked`.",
    },
)
@idempotent(required=False)
def create_checkin() -> Any:
    data = read_json(CHECKIN_REQUEST)
    scanned = qr.verify(data["code"])
    if scanned.kind == "person":
        event = db.session.get(Event, data.get("event_id") or 0)
        if event is None or not can(current_user, Permission.manage_events, event.area):
            abort(404)
        volunteer = services.volunteer_from_card(scanned)
    elif scanned.kind == "event":
        event = services.event_from_code(scanned)
        volunteer = services.volunteer_for(current_user)
    else:
        raise DomainError("invalid_code", _("Scan an event's code or a volunteer's card."), 400)
    if data.get("action", "in") == "out":
        attendance = services.check_out(event, volunteer, actor=current_user)
        return attendance_json(attendance), 200
    attendance = services.check_in(
        event, volunteer, actor=current_user, for_household_id=data.get("household_id")
    )
    return attendance_json(attendance), 201


@bp.post("/attendances/<int:attendance_id>/approve")
@api_doc(
    "Approve an attendance and give its points",
    description="Approving twice makes one transfer: the second call returns the first result.",
    tags=["events"],
    responses={
        200: ("The approved attendance and its transfer", APPROVAL),
        404: "`not_found`",
        409: "`still_checked_in`, `invalid_transition` (rejected), `over_budget`.",
    },
)
@idempotent(required=False)
def approve_attendance(attendance_id: int) -> Any:
    attendance = db.session.get(Attendance, attendance_id)
    if attendance is None or not can(current_user, Permission.approve_attendance, attendance.area):
        abort(404)
    attendance = services.approve_attendance(attendance, actor=current_user)
    transfer = None
    if attendance.transfer_id is not None:
        from points_app.ledger.models import Transfer

        t = db.session.get(Transfer, attendance.transfer_id)
        assert t is not None
        transfer = {
            "id": t.id,
            "amount": t.amount,
            "debit_account_id": t.debit_account_id,
            "credit_account_id": t.credit_account_id,
        }
    return {"attendance": attendance_json(attendance), "transfer": transfer}
