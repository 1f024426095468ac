"""Mediation of disputes (矛盾纠纷调解): outcome, mediator and date, on the issue's timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from points_app.core.audit import record
from points_app.core.errors import DomainError, Forbidden
from points_app.core.permissions import Permission, can
from points_app.extensions import db
from points_app.issues import deadlines, workflow
from points_app.issues.models import Issue, IssueCategory, Mediation, MediationOutcome

# The category whose issues are disputes; "disputes mediated" counts their mediations.
DISPUTE_CATEGORIES = frozenset({IssueCategory.neighbour_dispute})

OUTCOME_LABELS: dict[MediationOutcome, LazyString] = {
    MediationOutcome.mediated: _l("Mediated"),  # TRANSLATORS: 调解成功
    MediationOutcome.agreement_signed: _l("Agreement signed"),  # TRANSLATORS: 签订调解协议
    MediationOutcome.not_settled: _l("Not settled"),  # TRANSLATORS: 调解不成
    MediationOutcome.referred: _l("Referred elsewhere"),  # TRANSLATORS: 移交
}


def outcome_label(outcome: MediationOutcome | str) -> str:
    """A mediation outcome's name in the current language."""
    return str(OUTCOME_LABELS[MediationOutcome(outcome)])


def can_mediate(actor: Any, issue: Issue) -> bool:
    """Return True if the actor may record a mediation of this issue now."""
    return (
        issue.category in DISPUTE_CATEGORIES
        and not issue.state.is_terminal
        and can(actor, Permission.handle_issue, issue.area)
    )


def record_mediation(
    issue: Issue,
    *,
    outcome: MediationOutcome | str,
    mediator: str,
    mediated_on: dt.date,
    note: str = "",
    actor: Any,
    at: dt.datetime | None = None,
) -> Mediation:
    """Record a mediation of a dispute issue and add it to the issue's timeline."""
    if not can(actor, Permission.handle_issue, issue.area):
        raise Forbidden(_l("You may not handle issues in this area."))
    if issue.category not in DISPUTE_CATEGORIES:
        raise DomainError(
            "not_a_dispute", _l("Only disputes are mediated; this issue is not one."), 409
        )
    if issue.state.is_terminal:
        raise DomainError("issue_finished", _l("This issue is finished."), 409)
    try:
        outcome = MediationOutcome(outcome)
    except ValueError:
        raise DomainError("validation_error", _l("Choose how the mediation ended."), 422) from None
    mediator = mediator.strip()
    if not mediator:
        raise DomainError("validation_error", _l("Name the mediator."), 422)
    at = at or deadlines.now()
    if mediated_on > deadlines.local_date(at):
        raise DomainError("validation_error", _l("The mediation date is in the future."), 422)
    mediation = Mediation(
        issue=issue,
        outcome=outcome,
        mediator=mediator[:100],
        mediated_on=mediated_on,
        note=note.strip()[: workflow.MAX_NOTE],
        recorded_by_id=getattr(actor, "id", None),
        created_at=at,
    )
    db.session.add(mediation)
    db.session.flush()
    workflow.record_entry(issue, actor=actor, at=at, note=mediation.note, mediation=mediation)
    record(actor, "issue.mediation", "issue", issue.id, outcome=outcome.value)
    return mediation
