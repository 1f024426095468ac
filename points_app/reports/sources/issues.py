"""Rows about residents' issues (with their timelines) and mediations of disputes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from points_app.areas.models import Area
from points_app.core.scrub import scrub_text
from points_app.extensions import db
from points_app.issues.labels import category_label, channel_label, level_label, state_label
from points_app.issues.mediation import outcome_label
from points_app.issues.models import (
    Issue,
    IssueCategory,
    IssueEvaluation,
    IssueEvent,
    Mediation,
    MediationOutcome,
)
from points_app.reports import scope
from points_app.reports.scope import CommunityMap
from points_app.reports.sources.base import (
    BATCH,
    Column,
    Query,
    Source,
    local_text,
    mask_columns,
)

C = Column
COMMUNITY = C("community", _l("Community"))


def _issues(q: Query, cm: CommunityMap) -> Select[Any]:
    if q.filter in ("resolved", "legal"):
        stmt = scope.resolved_issues(cm, q.period)
        if q.filter == "legal":
            stmt = stmt.where(Issue.category == IssueCategory.legal)
    elif q.filter == "overdue":
        stmt = scope.overdue_issues(cm, q.period, q.today)
    elif q.filter == "rated":
        rated = select(IssueEvaluation.issue_id).where(scope.between(IssueEvaluation.at, q.period))
        stmt = (
            select(cm.community(Issue.area_id))
            .select_from(Issue)
            .where(cm.covers(Issue.area_id))
            .where(Issue.id.in_(rated))
        )
    else:
        stmt = scope.raised_issues(cm, q.period)
    return stmt.join(Area, Area.id == Issue.area_id).add_columns(
        Issue.id, Issue.title, cm.community_name(Issue.area_id), Area.name, Issue.category,
        Issue.channel, Issue.state, Issue.level, Issue.created_at, Issue.closed_at,
        Issue.resident_name,
    )  # fmt: skip


def _issue_row(row: Any) -> list[Any]:
    (_cid, issue_id, title, community, area, category, channel, state, level, created,
     closed, resident) = row  # fmt: skip
    return [
        issue_id, scrub_text(title or ""), community, area, str(category_label(category)),
        str(channel_label(channel)), str(state_label(state)),
        str(level_label(level)) if level else "", local_text(created), local_text(closed),
        resident or "",
    ]  # fmt: skip


def _timeline_line(row: Any) -> str:
    _issue_id, at, src, dst, outcome, note = row
    if outcome is not None:
        what = f"{_l('Mediation')}: {outcome_label(outcome)}"
    elif src is None:
        what = str(state_label(dst))
    else:
        what = f"{state_label(src)} → {state_label(dst)}"
    return f"{local_text(at)} {what}" + (f" ({scrub_text(note)})" if note else "")


def _issue_stream(source: Source, q: Query) -> Iterator[tuple[Any, ...]]:
    """Issues and their timelines from two statements read side by side, both by issue id."""
    issues_stmt = source.statement(q).order_by(Issue.id)
    ids = issues_stmt.with_only_columns(Issue.id).order_by(None).scalar_subquery()
    events_stmt = (
        select(
            IssueEvent.issue_id,
            IssueEvent.at,
            IssueEvent.from_state,
            IssueEvent.to_state,
            Mediation.outcome,
            IssueEvent.note,
        )  # fmt: skip
        .outerjoin(Mediation, Mediation.id == IssueEvent.mediation_id)
        .where(IssueEvent.issue_id.in_(ids))
        .order_by(IssueEvent.issue_id, IssueEvent.id)
    )
    options = {"yield_per": BATCH}
    events = iter(db.session.execute(events_stmt.execution_options(**options)))
    pending = next(events, None)
    personal = [i for i, c in enumerate(source.columns) if c.personal]
    for row in db.session.execute(issues_stmt.execution_options(**options)):
        values = _issue_row(row)
        lines = []
        while pending is not None and pending[0] <= values[0]:
            if pending[0] == values[0]:
                lines.append(_timeline_line(pending))
            pending = next(events, None)
        out = (*values, "\n".join(lines))
        yield out if q.unmasked else mask_columns(out, personal)


ISSUES = Source(
    kind="issues",
    title=_l("Residents' issues with their timelines"),
    columns=(
        C("id", _l("No.")),
        C("title", _l("Title")),
        COMMUNITY,
        C("area", _l("Area")),
        C("category", _l("Category")),
        C("channel", _l("Came in by")),
        C("state", _l("State")),
        C("level", _l("Handling level")),
        C("raised", _l("Raised")),
        C("closed", _l("Closed")),
        C("resident", _l("Resident"), personal=True),
        C("timeline", _l("Timeline")),
    ),  # fmt: skip
    build=_issues,
    filters=("", "resolved", "overdue", "legal", "rated"),
    stream=_issue_stream,
)


def _mediations(q: Query, cm: CommunityMap) -> Select[Any]:
    stmt = (
        select(
            Mediation.mediated_on,
            cm.community_name(Issue.area_id),
            Issue.id,
            Issue.title,
            Mediation.outcome,
            Mediation.mediator,
        )  # fmt: skip
        .select_from(Mediation)
        .join(Issue, Issue.id == Mediation.issue_id)
        .where(cm.covers(Issue.area_id))
        .where(scope.between_days(Mediation.mediated_on, q.period))
        .order_by(Mediation.mediated_on, Mediation.id)
    )
    if q.filter == "settled":
        settled = [o for o in MediationOutcome if o.is_settled]
        stmt = stmt.where(Mediation.outcome.in_(settled))
    return stmt


MEDIATIONS = Source(
    kind="mediations",
    title=_l("Mediations of disputes"),
    columns=(
        C("mediated_on", _l("Date of the mediation")),
        COMMUNITY,
        C("id", _l("No.")),
        C("title", _l("Title")),
        C("outcome", _l("Outcome")),
        C("mediator", _l("Mediator")),
    ),  # fmt: skip
    build=_mediations,
    shape=lambda r, q: (
        r[0].isoformat(),
        r[1],
        r[2],
        scrub_text(r[3] or ""),
        outcome_label(r[4]),
        r[5],
    ),
    filters=("", "settled"),
)
