"""Residents' issues (居民说事) over /api/v1: raise, list, read, move and evaluate.

Whoever may record issues in an area may see them there (`issues.queries.VIEW`); an
issue elsewhere is not found. The resident's name and phone are shown masked only.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from points_app.api.idempotency import idempotent
from points_app.api.issue_schemas import (
    EVALUATED,
    EVALUATION_REQUEST,
    ISSUE,
    ISSUE_PAGE,
    LIST_QUERY,
    RAISE_REQUEST,
    TRANSITION_REQUEST,
)
from points_app.api.openapi import api_doc
from points_app.api.validation import read_json, read_query
from points_app.api.views import bp
from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.core.permissions import can
from points_app.core.web import MAX_DB_ID
from points_app.extensions import db
from points_app.issues import deadlines, queries, services, workflow
from points_app.issues.models import (
    Issue,
    IssueCategory,
    IssueEvaluation,
    IssueEvent,
    IssueState,
    TalkSession,
)
from points_app.issues.privacy import scrub_issue_text

VIEW = queries.VIEW


def _user(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "display_name": user.display_name}


def _area(area: Area) -> dict[str, Any]:
    return {"id": area.id, "name": area.name, "code": area.code, "level": area.level.value}


def issue_summary_json(issue: Issue) -> dict[str, Any]:
    """An issue in a list: no description, resident masked."""
    return {
        "id": issue.id,
        "title": issue.title,
        "category": issue.category.value,
        "channel": issue.channel.value,
        "state": issue.state.value,
        "level": issue.level.value if issue.level else None,
        "due_on": issue.due_on.isoformat() if issue.due_on else None,
        "is_overdue": issue.is_overdue(deadlines.today()),
        "area": _area(issue.area),
        "created_at": issue.created_at.isoformat(),
        "closed_at": issue.closed_at.isoformat() if issue.closed_at else None,
        "resident": {
            "name": issue.masked_resident_name or None,
            "phone": issue.masked_resident_phone or None,
            "is_anonymous": issue.is_anonymous,
        },
    }


def _event_json(event: IssueEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "from": event.from_state.value if event.from_state else None,
        "to": event.to_state.value,
        "level": event.level.value if event.level else None,
        "due_on": event.due_on.isoformat() if event.due_on else None,
        "at": event.at.isoformat(),
        "note": event.note,
        "actor": _user(event.actor),
        "session_id": event.session_id,
        "evaluation_id": event.evaluation_id,
        "mediation_id": event.mediation_id,
    }


def evaluation_json(evaluation: IssueEvaluation) -> dict[str, Any]:
    """A resident's rating of an issue."""
    return {
        "id": evaluation.id,
        "satisfaction": evaluation.satisfaction,
        "solved": evaluation.is_solved,
        "comment": evaluation.comment,
        "is_by_proxy": evaluation.is_by_proxy,
        "at": evaluation.at.isoformat(),
    }


def _contributions_json(issue: Issue) -> dict[str, Any]:
    found = queries.contributions(issue)
    return {
        "events": [
            {"id": e.id, "title": e.title, "starts_at": e.starts_at.isoformat()}
            for e in found.events
        ],
        "people": [
            {"name": p.name, "organisation": p.organisation, "hours": p.hours, "points": p.points}
            for p in found.people
        ],
        "organisations": [
            {"name": o.name, "hours": o.hours, "points": o.points} for o in found.organisations
        ],
        "hours": found.hours,
        "points": found.points,
    }


def issue_json(issue: Issue) -> dict[str, Any]:
    """An issue with its timeline, evaluations and contributions, as the caller sees it."""
    return {
        **issue_summary_json(issue),
        # Names and numbers masked; the page's audited "show contact" gives the original.
        "description": scrub_issue_text(issue, issue.description),
        "decision": issue.decision,
        "resolution": issue.resolution,
        "rejection_reason": issue.rejection_reason,
        "merged_into_id": issue.merged_into_id,
        "raised_session_id": issue.raised_session_id,
        "decided_session_id": issue.decided_session_id,
        "raised_by": _user(issue.raised_by),
        "timeline": [_event_json(e) for e in issue.events],
        "evaluations": [evaluation_json(e) for e in issue.evaluations],
        "contributions": _contributions_json(issue),
        "allowed_moves": [s.value for s in workflow.moves_for(issue, current_user)],
    }


def _load(model: Any, object_id: int | None) -> Any:
    if object_id is None or not 0 < object_id <= MAX_DB_ID:
        return None
    return db.session.get(model, object_id)


def _visible_issue(issue_id: int) -> Issue:
    issue: Issue | None = _load(Issue, issue_id)
    if issue is None or not can(current_user, VIEW, issue.area):
        abort(404)
    return issue


def _visible_area(area_id: int) -> Area:
    area: Area | None = _load(Area, area_id)
    if area is None or not can(current_user, VIEW, area):
        abort(404)
    return area


def _visible_session(session_id: int | None) -> TalkSession | None:
    if session_id is None:
        return None
    session: TalkSession | None = _load(TalkSession, session_id)
    if session is None or not queries.can_see_session(current_user, session):
        abort(404)
    return session


def _merge_target(issue_id: int | None) -> Issue | None:
    if issue_id is None:
        return None
    target: Issue | None = _load(Issue, issue_id)
    if target is None or not can(current_user, VIEW, target.area):
        message = _("There is no issue #%(id)s you may see.", id=issue_id)
        raise DomainError("invalid_merge", message, 422)
    return target


@bp.get("/issues")
@api_doc(
    "Residents' issues in the caller's areas, newest first",
    description="Paginated with `?page=` and `?per_page=` (at most 100).",
    tags=["issues"],
    query=LIST_QUERY,
    responses={
        200: ("One page of issues", ISSUE_PAGE),
        404: "`not_found`: the `area` filter is not one of the caller's areas.",
    },
)
def list_issues() -> Any:
    query = read_query(LIST_QUERY)
    area = _visible_area(query["area"]) if "area" in query else None
    page, per_page = query["page"], query["per_page"]
    issues, has_next = queries.list_issues(
        current_user,
        today=deadlines.today(),
        state=IssueState(query["status"]) if "status" in query else None,
        area=area,
        category=IssueCategory(query["category"]) if "category" in query else None,
        overdue=query.get("overdue", False),
        text=query.get("q", ""),
        page=page,
        per_page=per_page,
    )
    return {
        "items": [issue_summary_json(i) for i in issues],
        "page": page,
        "per_page": per_page,
        "has_next": has_next,
    }


@bp.post("/issues")
@api_doc(
    "Record a resident's issue (说)",
    description="In a community, grid or microgrid where the caller may record issues. "
    "Send an Idempotency-Key so that a retry records it once.",
    tags=["issues"],
    body=RAISE_REQUEST,
    responses={
        201: ("The issue, raised", ISSUE),
        403: "`forbidden`: the caller may not record issues in that area.",
        404: "`not_found`: no such area or talk session among the caller's.",
        422: "`invalid_area` (not a community, grid or microgrid), `invalid_phone`, "
        "`wrong_session`.",
    },
)
@idempotent(required=False)
def raise_issue() -> Any:
    data = read_json(RAISE_REQUEST)
    area = _visible_area(data["area_id"])
    issue = services.raise_issue(
        actor=current_user,
        area=area,
        title=data["title"],
        category=data["category"],
        channel=data["channel"],
        description=data["description"],
        resident_name=data.get("resident_name"),
        resident_phone=data.get("resident_phone"),
        is_anonymous=data["is_anonymous"],
        session=_visible_session(data.get("session_id")),
    )
    return issue_json(issue), 201


@bp.get("/issues/<int:issue_id>")
@api_doc(
    "An issue with its timeline (流转单) and linked contributions",
    tags=["issues"],
    responses={200: ("The issue", ISSUE), 404: "`not_found`"},
)
def get_issue(issue_id: int) -> Any:
    return issue_json(_visible_issue(issue_id))


@bp.post("/issues/<int:issue_id>/transitions")
@api_doc(
    "Move an issue along 说 → 议 → 办 → 评",
    description="Allowed moves: raised → deliberating, handling, rejected, merged; "
    "deliberating → handling, rejected, merged; handling → handling (escalation to a "
    "higher `level`, with a `note`), evaluating (`note`: what was done), deliberating, "
    "merged. Deciding (deliberating → handling, with a `decision`) and rejecting need "
    "the right to deliberate. An issue being evaluated moves by its evaluation only.",
    tags=["issues"],
    body=TRANSITION_REQUEST,
    responses={
        200: ("The issue after the move", ISSUE),
        403: "`forbidden`: the caller may not make this move here.",
        404: "`not_found`: no such issue (or talk session) among the caller's.",
        409: "`invalid_transition` (`details.allowed` lists the allowed states), "
        "`evaluation_required`.",
        422: "`note_required`, `level_required`, `not_higher_level`, `decision_required`, "
        "`merge_target_required`, `invalid_merge`, `wrong_session`.",
    },
)
@idempotent(required=False)
def transition_issue(issue_id: int) -> Any:
    issue = _visible_issue(issue_id)
    data = read_json(TRANSITION_REQUEST)
    workflow.transition(
        issue,
        data["to"],
        actor=current_user,
        note=data["note"],
        level=data.get("level"),
        decision=data.get("decision"),
        session=_visible_session(data.get("session_id")),
        merge_into=_merge_target(data.get("merge_into")),
    )
    return issue_json(issue), 200


@bp.post("/issues/<int:issue_id>/evaluation")
@api_doc(
    "Record the resident's evaluation (评)",
    description="Recorded by the caller on the resident's behalf. Solved with "
    "satisfaction 3 or more closes the issue; otherwise it goes back to handling.",
    tags=["issues"],
    body=EVALUATION_REQUEST,
    responses={
        201: ("The evaluation and the issue after it", EVALUATED),
        403: "`forbidden`: the caller may not handle issues here.",
        404: "`not_found`",
        409: "`not_evaluating`: the issue is not waiting for an evaluation.",
    },
)
@idempotent(required=False)
def evaluate_issue(issue_id: int) -> Any:
    issue = _visible_issue(issue_id)
    data = read_json(EVALUATION_REQUEST)
    evaluation = workflow.evaluate_issue(
        issue,
        actor=current_user,
        satisfaction=data["satisfaction"],
        solved=data["solved"],
        comment=data["comment"],
    )
    return {"evaluation": evaluation_json(evaluation), "issue": issue_json(issue)}, 201
