"""POST /api/v1/scan: what a scanned code stands for, whatever its kind.

Each feature resolves its own kind of code and refuses it in its own words: events
(`events.services.resolve_event_code`, `expired_code`), household cards
(`store.services.resolve_household_card`, `card_revoked`), person cards
(`events.services.resolve_person_card`). Scanning changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from points_app.api.openapi import api_doc, component
from points_app.api.validation import read_json
from points_app.api.views import bp
from points_app.core import qr
from points_app.events import services as events

SCAN_REQUEST = {
    "type": "object",
    "required": ["code"],
    "properties": {
        "code": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1000,
            "description": "The scanned text: a URL of this app or a bare token.",
        }
    },
}
SCANNED = component(
    "Scanned",
    {
        "type": "object",
        "required": ["kind", "id"],
        "properties": {
            "kind": {"type": "string", "enum": ["event", "household", "person"]},
            "id": {"type": "integer"},
            "title": {"type": "string", "description": "event: its title"},
            "event_kind": {"type": "string", "enum": ["party_report", "volunteer", "welfare_day"]},
            "place": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "needs_checkout": {"type": "boolean"},
            "area": {"type": "object"},
            "name": {
                "type": "string",
                "description": "person: the volunteer's name; masked (张*) unless the caller "
                "runs events in the volunteer's community",
            },
            "community_id": {"type": "integer", "description": "household: its community"},
        },
    },
)


def _household(scanned: qr.ScannedCode) -> dict[str, Any]:
    from points_app.store.services import resolve_household_card

    household = resolve_household_card(scanned, actor=current_user)
    # No name or number: a household card says only which household it is.
    return {"kind": "household", "id": household.id, "community_id": household.community_id}


@bp.post("/scan")
@api_doc(
    "What a scanned QR code stands for",
    description="Checks the code's signature and its kind's own rules; changes nothing.",
    tags=["scanning"],
    body=SCAN_REQUEST,
    responses={
        200: ("The event, household or person the code names", SCANNED),
        400: "`invalid_code`: forged, damaged or not one of ours.",
        403: "`other_community`: a household card of a community outside yours.",
        410: "`expired_code` (an old event code) or `card_revoked` (a replaced card).",
    },
)
def scan() -> Any:
    scanned = qr.verify(read_json(SCAN_REQUEST)["code"])
    if scanned.kind == "event":
        return events.resolve_event_code(scanned)
    if scanned.kind == "household":
        return _household(scanned)
    return events.resolve_person_card(scanned, actor=current_user)
