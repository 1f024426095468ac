"""The issue workflow: one `transition()` with a table of allowed moves, and evaluation.

说 raised → 议 deliberating → 办 handling → 评 evaluating → closed; also rejected and
merged. Handling climbs grid → community → street by escalation. Only this module
assigns `Issue.state`, and every move writes one `IssueEvent`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from points_app.areas.services import community_of
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.issues import deadlines
from points_app.issues.labels import short_level_label, state_label
from points_app.issues.models import (
    HandlingLevel,
    Issue,
    IssueEvaluation,
    IssueEvent,
    IssueState,
    TalkSession,
)

S = IssueState

ALLOWED_MOVES: dict[IssueState, tuple[IssueState, ...]] = {
    S.raised: (S.deliberating, S.handling, S.rejected, S.merged),
    S.deliberating: (S.handling, S.rejected, S.merged),
    S.handling: (S.handling, S.evaluating, S.deliberating, S.merged),
    S.evaluating: (S.handling, S.closed),
    S.closed: (),
    S.rejected: (),
    S.merged: (),
}

# Deciding (议 → 办) and refusing an issue are the talk session's and committee's call.
MOVE_PERMISSIONS: dict[tuple[IssueState, IssueState], Permission] = {
    (S.deliberating, S.handling): Permission.deliberate_issue,
    (S.raised, S.rejected): Permission.deliberate_issue,
    (S.deliberating, S.rejected): Permission.deliberate_issue,
}

MAX_NOTE = 2000


def allowed_moves(issue: Issue) -> tuple[IssueState, ...]:
    """The states the issue may move to next."""
    return ALLOWED_MOVES[issue.state]


def move_permission(src: IssueState, dst: IssueState) -> Permission:
    """The permission a user needs, at the issue's area, to make a move."""
    return MOVE_PERMISSIONS.get((src, dst), Permission.handle_issue)


def moves_for(issue: Issue, actor: Any) -> list[IssueState]:
    """The moves this actor may make on the issue now (evaluation moves excluded)."""
    if issue.state is S.evaluating:
        return []
    return [
        dst
        for dst in allowed_moves(issue)
        if can(actor, move_permission(issue.state, dst), issue.area)
        and not (dst is S.handling and issue.state is S.handling and _higher_levels(issue) == [])
    ]


def _higher_levels(issue: Issue) -> list[HandlingLevel]:
    current = issue.level.rank if issue.level is not None else -1
    return [level for level in HandlingLevel if level.rank > current]


def escalation_levels(issue: Issue) -> list[HandlingLevel]:
    """The handling levels the issue can be passed up to."""
    return _higher_levels(issue)


def _joined(labels: list[LazyString]) -> LazyString:
    return LazyString(lambda: ", ".join(str(label) for label in labels))


def invalid_transition(issue: Issue, dst: IssueState) -> DomainError:
    """The refusal for a move the table does not allow, naming the allowed ones."""
    allowed = allowed_moves(issue)
    names = [state_label(s) for s in allowed]
    return DomainError(
        "invalid_transition",
        _l(
            "Cannot go from %(src)s to %(dst)s. Allowed: %(allowed)s.",
            src=state_label(issue.state),
            dst=state_label(dst),
            allowed=_joined(names) if names else _l("nothing, the issue is finished"),
        ),
        409,
        allowed=[s.value for s in allowed],
    )


def parse_state(value: IssueState | str) -> IssueState:
    """Turn a state name into an IssueState, refusing unknown names."""
    try:
        return IssueState(value)
    except ValueError:
        raise DomainError(
            "validation_error",
            _l("Unknown state %(name)s.", name=str(value)[:40]),
            422,
        ) from None


def parse_level(value: HandlingLevel | str | None) -> HandlingLevel | None:
    """Turn a level name into a HandlingLevel (None stays None), refusing unknown names."""
    if value is None or value == "":
        return None
    try:
        return HandlingLevel(value)
    except ValueError:
        raise DomainError(
            "validation_error", _l("Unknown handling level %(name)s.", name=str(value)[:40]), 422
        ) from None


def _required(code: str, message: LazyString) -> DomainError:
    return DomainError(code, message, 422)


def _same_community(issue: Issue, session: TalkSession) -> bool:
    mine, theirs = community_of(issue.area), community_of(session.area)
    return mine is not None and theirs is not None and mine.id == theirs.id


def _handling_deadline(issue: Issue, level: HandlingLevel, at: dt.datetime) -> dt.date:
    from points_app.issues.services import settings_for

    days = settings_for(issue.area).days_for(level)
    return deadlines.add_working_days(deadlines.local_date(at), days)


def _record(
    issue: Issue,
    src: IssueState | None,
    *,
    actor: Any,
    at: dt.datetime,
    note: str = "",
    session: TalkSession | None = None,
    evaluation: IssueEvaluation | None = None,
) -> IssueEvent:
    event = IssueEvent(
        issue=issue,
        from_state=src,
        to_state=issue.state,
        level=issue.level,
        due_on=issue.due_on,
        actor_id=getattr(actor, "id", None),
        at=at,
        note=note,
        session=session,
        evaluation=evaluation,
    )
    db.session.add(event)
    return event


def lock_issue(issue: Issue) -> Issue:
    """Re-read the issue under a row lock (PostgreSQL), so two moves cannot both start
    from the same state; SQLite's BEGIN IMMEDIATE already serialises writers."""
    stmt = select(Issue).where(Issue.id == issue.id).with_for_update(of=Issue)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def record_entry(
    issue: Issue, *, actor: Any, at: dt.datetime, note: str = "", mediation: Any = None
) -> IssueEvent:
    """Write a timeline line that moves nothing (a mediation): the state stays as it is."""
    event = _record(issue, issue.state, actor=actor, at=at, note=note[:MAX_NOTE])
    event.mediation = mediation
    db.session.flush()
    return event


def open_issue(issue: Issue, *, actor: Any, at: dt.datetime, note: str = "") -> IssueEvent:
    """Put a new issue in its first state, raised (说), with the first timeline row."""
    issue.state = S.raised
    issue.created_at = at
    return _record(issue, None, actor=actor, at=at, note=note, session=issue.raised_session)


def transition(
    issue: Issue,
    to: IssueState | str,
    *,
    actor: Any,
    note: str = "",
    level: HandlingLevel | str | None = None,
    decision: str | None = None,
    session: TalkSession | None = None,
    merge_into: Issue | None = None,
    evaluation: IssueEvaluation | None = None,
    at: dt.datetime | None = None,
) -> IssueEvent:
    """Move an issue to another state if the table allows it; write the timeline row.

    What each move needs: to handling from deliberating, the decision (and optionally the
    talk session that took it); escalation (handling → handling), a higher level and a
    note; to evaluating, what was done (the note); to rejected, the reason (the note);
    to merged, the issue it duplicates. Moves out of evaluating come from
    `evaluate_issue()` only.
    """
    dst = parse_state(to)
    issue = lock_issue(issue)
    src = issue.state
    at = at or deadlines.now()
    note = (note or "").strip()[:MAX_NOTE]
    new_level = parse_level(level)
    if dst not in allowed_moves(issue):
        raise invalid_transition(issue, dst)
    if src is S.evaluating:
        if evaluation is None:
            raise DomainError(
                "evaluation_required",
                _l("Record the resident's evaluation: it closes the issue or sends it back."),
                409,
            )
    elif actor is None or not can(actor, move_permission(src, dst), issue.area):
        raise Forbidden(_l("You may not make this move on this issue."))
    if session is not None and not _same_community(issue, session):
        raise DomainError(
            "wrong_session", _l("That talk session belongs to another community."), 422
        )

    if dst is S.handling:
        _enter_handling(issue, src, new_level, note, decision, session, at)
    elif dst is S.deliberating:
        issue.level = None
        issue.due_on = None
    elif dst is S.evaluating:
        if not note:
            raise _required("note_required", _l("Say what was done before asking for evaluation."))
        issue.resolution = note
        issue.due_on = None
    elif dst is S.rejected:
        if not note:
            raise _required("note_required", _l("Give the reason for rejecting the issue."))
        issue.rejection_reason = note
        issue.level = None
        issue.due_on = None
        issue.closed_at = at
    elif dst is S.merged:
        _check_merge_target(issue, merge_into)
        issue.merged_into = merge_into
        issue.level = None
        issue.due_on = None
        issue.closed_at = at
    elif dst is S.closed:
        issue.due_on = None
        issue.closed_at = at

    issue.state = dst
    event = _record(
        issue, src, actor=actor, at=at, note=note, session=session, evaluation=evaluation
    )
    db.session.flush()
    if dst is S.closed:  # only a solved, satisfied evaluation closes an issue
        from points_app.recognition.bonus import pay_resolution_bonuses

        pay_resolution_bonuses(issue, actor=actor, at=at)
    return event


def _enter_handling(
    issue: Issue,
    src: IssueState,
    level: HandlingLevel | None,
    note: str,
    decision: str | None,
    session: TalkSession | None,
    at: dt.datetime,
) -> None:
    if src is S.handling:
        if level is None:
            raise _required("level_required", _l("Choose the level to pass the issue up to."))
        if issue.level is not None and level.rank <= issue.level.rank:
            raise DomainError(
                "not_higher_level",
                _l(
                    "The issue is already handled at %(level)s; escalate it to a higher level.",
                    level=short_level_label(issue.level),
                ),
                422,
            )
        if not note:
            raise _required("note_required", _l("Say why the issue is passed up."))
    elif src is S.evaluating:
        level = issue.level or HandlingLevel.grid
    else:
        level = level or HandlingLevel.grid
    if src is S.deliberating:
        decision = (decision or "").strip()
        if not decision:
            raise _required("decision_required", _l("Write down what was decided."))
        issue.decision = decision[:MAX_NOTE]
        issue.decided_session = session
    issue.level = level
    issue.due_on = _handling_deadline(issue, level, at)


def _check_merge_target(issue: Issue, target: Issue | None) -> None:
    if target is None:
        raise _required("merge_target_required", _l("Say which issue this one duplicates."))
    if target.id == issue.id:
        raise DomainError("invalid_merge", _l("An issue cannot be merged into itself."), 422)
    if target.state is S.merged:
        raise DomainError(
            "invalid_merge",
            _l("Issue #%(id)s was itself merged; merge into #%(root)s instead.",
               id=target.id, root=target.merged_into_id),
            422,
        )  # fmt: skip
    mine, theirs = community_of(issue.area), community_of(target.area)
    if mine is None or theirs is None or mine.id != theirs.id:
        raise DomainError(
            "invalid_merge", _l("Only issues of the same community can be merged."), 422
        )


def evaluate_issue(
    issue: Issue,
    *,
    actor: Any,
    satisfaction: int,
    solved: bool,
    comment: str = "",
    at: dt.datetime | None = None,
) -> IssueEvaluation:
    """Record the resident's rating (评); close the issue, or send it back to handling.

    With `actor=None` the resident rates it through their own link; otherwise a grid
    worker or social worker records it on the resident's behalf, and it is marked so.
    Not solved, or satisfaction 2 or less, sends the issue back (退回重办).
    """
    at = at or deadlines.now()
    issue = lock_issue(issue)
    if issue.state is not S.evaluating:
        raise DomainError(
            "not_evaluating",
            _l(
                "This issue is not waiting for an evaluation: it is %(state)s.",
                state=state_label(issue.state),
            ),
            409,
        )
    if actor is not None and not can(actor, Permission.handle_issue, issue.area):
        raise Forbidden(_l("You may not evaluate issues in this area."))
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int):
        raise DomainError("invalid_satisfaction", _l("Satisfaction is a whole number 1 to 5."), 422)
    if not 1 <= satisfaction <= 5:
        raise DomainError("invalid_satisfaction", _l("Satisfaction is a whole number 1 to 5."), 422)
    evaluation = IssueEvaluation(
        issue=issue,
        satisfaction=satisfaction,
        is_solved=bool(solved),
        comment=(comment or "").strip()[:MAX_NOTE],
        is_by_proxy=actor is not None,
        recorded_by_id=getattr(actor, "id", None),
        at=at,
    )
    db.session.add(evaluation)
    db.session.flush()
    dst = S.closed if evaluation.is_accepted else S.handling
    transition(issue, dst, actor=actor, note=evaluation.comment, evaluation=evaluation, at=at)
    return evaluation
