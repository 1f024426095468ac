"""The page that records a mediation of a dispute issue."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, unit_of_work
from points_app.issues import deadlines, mediation
from points_app.issues.forms import MediationForm
from points_app.issues.models import Issue
from points_app.issues.views import bp


@bp.route("/<int:issue_id>/mediation", methods=["GET", "POST"])
@login_required
def mediate(issue_id: int) -> Any:
    issue = load_or_404(Issue, issue_id, Permission.raise_issue)
    if not mediation.can_mediate(current_user, issue):
        abort(404)
    form = MediationForm()
    form.fill_choices()
    if not form.is_submitted():
        form.mediated_on.data = deadlines.local_date(deadlines.now())
    if form.validate_on_submit():
        assert form.mediated_on.data is not None
        try:
            with unit_of_work():
                mediation.record_mediation(
                    issue,
                    outcome=form.outcome.data or "",
                    mediator=form.mediator.data or "",
                    mediated_on=form.mediated_on.data,
                    note=form.note.data or "",
                    actor=current_user,
                )
        except DomainError as error:
            form.mediator.errors = [error.message]
        else:
            flash(_("Mediation recorded in the issue's timeline."), "success")
            return redirect(url_for("issues.detail", issue_id=issue.id))
    return render_template("issues/mediation.html", issue=issue, form=form)
