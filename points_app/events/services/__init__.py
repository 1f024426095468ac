"""Event services: codes, check-in and check-out, attendance approval and points.

They take the acting user explicitly, accept `now` for tests, flush and never commit.
"""

from points_app.events.services.approval import (
    approve_attendance,
    bulk_approve,
    reject_attendance,
    transition_attendance,
)
from points_app.events.services.checkin import (
    approve_signup,
    check_in,
    check_out,
    close_stale,
    current_pairings,
    has_stale,
    may_serve_at,
    sign_up,
    volunteer_for,
)
from points_app.events.services.codes import (
    card_version,
    event_from_code,
    event_token,
    person_token,
    reissue_person_card,
    resolve_event_code,
    resolve_person_card,
    volunteer_from_card,
)
from points_app.events.services.common import ALLOWED_MOVES, EARLY_CHECKIN, STALE_AFTER, A
from points_app.events.services.corrections import add_manual_attendance, set_minutes
from points_app.events.services.definitions import (
    EventData,
    create_event,
    issue_ids_of,
    next_welfare_day,
    record_people_served,
    update_event,
)
from points_app.events.services.rules import minutes_counted, points_for
from points_app.events.services.summaries import (
    ServiceSummary,
    attendances_of,
    open_events_for,
    present,
    service_summary,
)

__all__ = [
    "A",
    "ALLOWED_MOVES",
    "EARLY_CHECKIN",
    "EventData",
    "STALE_AFTER",
    "ServiceSummary",
    "add_manual_attendance",
    "approve_attendance",
    "approve_signup",
    "attendances_of",
    "bulk_approve",
    "card_version",
    "check_in",
    "check_out",
    "close_stale",
    "create_event",
    "current_pairings",
    "event_from_code",
    "event_token",
    "has_stale",
    "issue_ids_of",
    "may_serve_at",
    "minutes_counted",
    "next_welfare_day",
    "open_events_for",
    "person_token",
    "points_for",
    "present",
    "record_people_served",
    "reissue_person_card",
    "reject_attendance",
    "resolve_event_code",
    "resolve_person_card",
    "service_summary",
    "set_minutes",
    "sign_up",
    "transition_attendance",
    "update_event",
    "volunteer_for",
    "volunteer_from_card",
]
