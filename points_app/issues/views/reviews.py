"""The committee's review of resolved issues, and the resident's own rating page."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, page_number, require, unit_of_work
from points_app.extensions import db
from points_app.issues import deadlines, queries, services, workflow
from points_app.issues.forms import EvaluationForm, ResolvedFilterForm
from points_app.issues.models import Issue, IssueCategory, IssueState
from points_app.issues.views import area_choices, bp

REPORTS = Permission.view_reports


@bp.route("/resolved")
@login_required
def resolved() -> Any:
    require(REPORTS)
    form = ResolvedFilterForm(request.args)
    form.area.choices = [(0, _("Any area"))] + area_choices(current_user, REPORTS)
    form.validate()
    for name in ("category", "area", "start", "end"):
        if getattr(form, name).errors:
            getattr(form, name).data = None  # ignore a filter that makes no sense
    area = load_or_404(Area, form.area.data, REPORTS) if form.area.data else None
    rows, has_next = queries.resolved_issues(
        current_user,
        area=area,
        category=IssueCategory(form.category.data) if form.category.data else None,
        start=form.start.data,
        end=form.end.data,
        page=page_number(),
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "issues/resolved.html", form=form, rows=rows, has_next=has_next, args=args
    )


@bp.route("/<int:issue_id>/review")
@login_required
def review(issue_id: int) -> Any:
    issue = load_or_404(Issue, issue_id, REPORTS)
    if issue.state is not IssueState.closed:
        abort(404)
    until = issue.closed_at or deadlines.now()
    return render_template(
        "issues/review.html",
        issue=issue,
        stages=queries.stages(issue),
        per_stage=queries.time_per_stage(issue, until),
        total=until - issue.created_at,
        until=until,
        contributions=queries.contributions(issue),
        send_backs=sum(1 for e in issue.events if e.is_send_back),
        escalations=sum(1 for e in issue.events if e.is_escalation),
    )


@bp.route("/rate/<token>", methods=["GET", "POST"])
def rate(token: str) -> Any:
    """The resident's own page to rate how their issue was handled; no sign-in needed."""
    issue = services.issue_for_rating_token(token)
    form = EvaluationForm()
    done = None
    if issue.state is not IssueState.evaluating:
        return render_template("issues/rate.html", issue=issue, form=None, done=None)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                done = workflow.evaluate_issue(
                    issue,
                    actor=None,
                    satisfaction=int(form.satisfaction.data),
                    solved=form.solved.data == "yes",
                    comment=form.comment.data or "",
                )
        except DomainError as error:
            db.session.rollback()
            form.satisfaction.errors = [error.message]
    return render_template("issues/rate.html", issue=issue, form=form, done=done)
