"""`flask events close-stale`, and the ledger check that project budgets add up."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from points_app.events import services
from points_app.events.models import Attendance, AttendanceStatus, Event, Project
from points_app.extensions import db
from points_app.ledger.verify import CheckResult, register_check


@click.group("events")
def events_group() -> None:
    """Events and attendance."""


@events_group.command("close-stale")
@with_appcontext
def close_stale_command() -> None:
    """Check out at the event's end everyone still in 12 hours later, flagged for review."""
    try:
        closed = services.close_stale()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Closed {closed} forgotten check-out(s); they are flagged for review.")


@register_check
def check_project_budgets() -> CheckResult:
    """Each project's points spent equals the points approved at its events."""
    result = CheckResult("project budgets")
    awarded = (
        select(Event.project_id, func.coalesce(func.sum(Attendance.points_awarded), 0).label("n"))
        .join(Attendance, Attendance.event_id == Event.id)
        .where(Event.project_id.is_not(None), Attendance.status == AttendanceStatus.approved)
        .group_by(Event.project_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Project.id, Project.points_spent, func.coalesce(awarded.c.n, 0)).outerjoin(
            awarded, awarded.c.project_id == Project.id
        )
    ).all()
    result.counts["projects"] = len(rows)
    for project_id, spent, computed in rows:
        if spent != computed:
            result.problems.append(f"project {project_id}: spent {spent}, awarded {computed}")
    return result
