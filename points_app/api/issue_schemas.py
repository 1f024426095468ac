"""The JSON shapes of the issues API (`api/issues.py`): what it accepts and answers, as
JSON Schema, registered as OpenAPI components."""

from __future__ import annotations

from typing import Any

from points_app.api.openapi import component
from points_app.api.views import AREA
from points_app.core.web import MAX_DB_ID
from points_app.issues.models import (
    HandlingLevel,
    IssueCategory,
    IssueChannel,
    IssueState,
)

MAX_PER_PAGE = 100
STATES = [s.value for s in IssueState]
LEVELS = [lv.value for lv in HandlingLevel]
ID = {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID}

RESIDENT = {
    "type": "object",
    "required": ["name", "phone", "is_anonymous"],
    "description": "Masked: the family name and the phone's first three and last four digits.",
    "properties": {
        "name": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]},
        "is_anonymous": {"type": "boolean", "description": "Anonymous to the public."},
    },
}
USER_REF = {
    "type": ["object", "null"],
    "properties": {"id": {"type": "integer"}, "display_name": {"type": "string"}},
}
ISSUE_SUMMARY_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "title": {"type": "string"},
    "category": {"type": "string", "enum": [c.value for c in IssueCategory]},
    "channel": {"type": "string", "enum": [c.value for c in IssueChannel]},
    "state": {"type": "string", "enum": STATES},
    "level": {"type": ["string", "null"], "enum": [*LEVELS, None]},
    "due_on": {"type": ["string", "null"], "format": "date"},
    "is_overdue": {"type": "boolean"},
    "area": AREA,
    "created_at": {"type": "string", "format": "date-time"},
    "closed_at": {"type": ["string", "null"], "format": "date-time"},
    "resident": RESIDENT,
}
SUMMARY_REQUIRED = list(ISSUE_SUMMARY_PROPERTIES)
ISSUE_SUMMARY = component(
    "IssueSummary",
    {"type": "object", "required": SUMMARY_REQUIRED, "properties": ISSUE_SUMMARY_PROPERTIES},
)
TIMELINE_ENTRY = {
    "type": "object",
    "required": ["id", "from", "to", "level", "due_on", "at", "note", "actor"],
    "properties": {
        "id": {"type": "integer"},
        "from": {"type": ["string", "null"], "enum": [*STATES, None]},
        "to": {"type": "string", "enum": STATES},
        "level": {"type": ["string", "null"], "enum": [*LEVELS, None]},
        "due_on": {"type": ["string", "null"], "format": "date"},
        "at": {"type": "string", "format": "date-time"},
        "note": {"type": "string"},
        "actor": USER_REF,
        "session_id": {"type": ["integer", "null"]},
        "evaluation_id": {"type": ["integer", "null"]},
    },
}
EVALUATION = component(
    "IssueEvaluation",
    {
        "type": "object",
        "required": ["id", "satisfaction", "solved", "comment", "is_by_proxy", "at"],
        "properties": {
            "id": {"type": "integer"},
            "satisfaction": {"type": "integer", "minimum": 1, "maximum": 5},
            "solved": {"type": "boolean"},
            "comment": {"type": "string"},
            "is_by_proxy": {
                "type": "boolean",
                "description": "Recorded by staff on the resident's behalf.",
            },
            "at": {"type": "string", "format": "date-time"},
        },
    },
)
CONTRIBUTOR = {
    "type": "object",
    "required": ["name", "hours", "points"],
    "properties": {
        "name": {"type": "string"},
        "organisation": {"type": "string", "description": "A person's organisations."},
        "hours": {"type": "number"},
        "points": {"type": "integer"},
    },
}
CONTRIBUTIONS = {
    "type": "object",
    "required": ["events", "people", "organisations", "hours", "points"],
    "description": "Who served the issue through the events linked to it (approved "
    "attendance only).",
    "properties": {
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "starts_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "starts_at": {"type": "string", "format": "date-time"},
                },
            },
        },
        "people": {"type": "array", "items": CONTRIBUTOR},
        "organisations": {"type": "array", "items": CONTRIBUTOR},
        "hours": {"type": "number"},
        "points": {"type": "integer"},
    },
}
ISSUE = component(
    "Issue",
    {
        "type": "object",
        "required": [
            *SUMMARY_REQUIRED, "description", "decision", "resolution", "rejection_reason",
            "merged_into_id", "raised_by", "timeline", "evaluations", "contributions",
            "allowed_moves",
        ],
        "properties": {
            **ISSUE_SUMMARY_PROPERTIES,
            "description": {"type": "string"},
            "decision": {"type": ["string", "null"]},
            "resolution": {"type": ["string", "null"]},
            "rejection_reason": {"type": ["string", "null"]},
            "merged_into_id": {"type": ["integer", "null"]},
            "raised_session_id": {"type": ["integer", "null"]},
            "decided_session_id": {"type": ["integer", "null"]},
            "raised_by": USER_REF,
            "timeline": {
                "type": "array",
                "items": TIMELINE_ENTRY,
                "description": "The 流转单: every move, oldest first.",
            },
            "evaluations": {"type": "array", "items": EVALUATION},
            "contributions": CONTRIBUTIONS,
            "allowed_moves": {
                "type": "array",
                "items": {"type": "string", "enum": STATES},
                "description": "The states the caller may move the issue to now (an "
                "issue being evaluated moves by its evaluation only).",
            },
        },
    },
)  # fmt: skip
ISSUE_PAGE = component(
    "IssuePage",
    {
        "type": "object",
        "required": ["items", "page", "per_page", "has_next"],
        "properties": {
            "items": {"type": "array", "items": ISSUE_SUMMARY},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "has_next": {"type": "boolean"},
        },
    },
)
EVALUATED = component(
    "IssueEvaluated",
    {
        "type": "object",
        "required": ["evaluation", "issue"],
        "properties": {"evaluation": EVALUATION, "issue": ISSUE},
    },
)

LIST_QUERY = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": STATES, "description": "Only issues in this state."},
        "area": {**ID, "description": "Only issues in this area or below it (an area id)."},
        "category": {"type": "string", "enum": [c.value for c in IssueCategory]},
        "overdue": {"type": "boolean", "description": "Only issues handled past their deadline."},
        "q": {"type": "string", "maxLength": 100, "description": "Words in the title."},
        "page": {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 30},
    },
}
RAISE_REQUEST = {
    "type": "object",
    "required": ["title", "category", "area_id"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 120},
        "category": {"type": "string", "enum": [c.value for c in IssueCategory]},
        "area_id": {**ID, "description": "The community, grid or microgrid it is in."},
        "description": {"type": "string", "maxLength": 5000, "default": ""},
        "channel": {
            "type": "string",
            "enum": [c.value for c in IssueChannel],
            "default": IssueChannel.grid_visit.value,
        },
        "resident_name": {"type": ["string", "null"], "maxLength": 50},
        "resident_phone": {"type": ["string", "null"], "maxLength": 20},
        "is_anonymous": {
            "type": "boolean",
            "default": False,
            "description": "Keep the resident anonymous to the public.",
        },
        "session_id": {**ID, "description": "The talk session where it was raised."},
    },
}
TRANSITION_REQUEST = {
    "type": "object",
    "required": ["to"],
    "additionalProperties": False,
    "properties": {
        "to": {"type": "string", "enum": STATES},
        "note": {
            "type": "string",
            "maxLength": 2000,
            "default": "",
            "description": "Required for escalation (why), evaluating (what was done) and "
            "rejected (the reason).",
        },
        "level": {
            "type": "string",
            "enum": LEVELS,
            "description": "To handling: the level (grid if not given); escalation: a higher one.",
        },
        "decision": {
            "type": "string",
            "maxLength": 2000,
            "description": "From deliberating to handling: what was decided.",
        },
        "session_id": {**ID, "description": "The talk session that decided it."},
        "merge_into": {**ID, "description": "To merged: the issue this one duplicates."},
    },
}
EVALUATION_REQUEST = {
    "type": "object",
    "required": ["satisfaction", "solved"],
    "additionalProperties": False,
    "properties": {
        "satisfaction": {"type": "integer", "minimum": 1, "maximum": 5},
        "solved": {"type": "boolean"},
        "comment": {"type": "string", "maxLength": 2000, "default": ""},
    },
}
