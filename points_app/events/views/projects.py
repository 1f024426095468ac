"""Venture project pages (创投项目): list, publish, detail, claim, close."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, area_clause, can
from points_app.core.web import load_or_404, require, unit_of_work
from points_app.events import projects as services
from points_app.events.forms import ClaimForm, ProjectForm
from points_app.events.models import Project
from points_app.events.views import bp
from points_app.events.views.common import area_choices
from points_app.extensions import db
from points_app.people.models import Organisation, OrganisationKind

P = Permission


@bp.route("/projects")
@login_required
def projects() -> Any:
    require(P.manage_events)
    rows = db.session.scalars(
        select(Project)
        .join(Area, Area.id == Project.area_id)
        .where(area_clause(Area.path, current_user, P.manage_events))
        .order_by(Project.id.desc())
        .limit(200)
    )
    return render_template("events/projects.html", projects=list(rows))


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def new_project() -> Any:
    require(P.issue_points)
    form = ProjectForm()
    form.area_id.choices = area_choices(P.issue_points, AreaLevel.street, AreaLevel.community)
    if form.validate_on_submit():
        area = db.session.get(Area, form.area_id.data)
        if area is None or not can(current_user, P.issue_points, area):
            abort(404)
        try:
            with unit_of_work():
                project = services.publish_project(
                    title=form.title.data or "",
                    area=area,
                    budget_points=form.budget_points.data or 0,
                    description=form.description.data or "",
                    actor=current_user,
                )
        except DomainError as error:
            form.title.errors = [error.message]
        else:
            flash(_("Project published."), "success")
            return redirect(url_for("events.project_detail", project_id=project.id))
    return render_template("events/project_form.html", form=form)


def _claim_form(project: Project) -> ClaimForm:
    form = ClaimForm()
    orgs = db.session.scalars(
        select(Organisation)
        .join(Area, Area.id == Organisation.area_id)
        .where(
            Organisation.kind == OrganisationKind.social_organisation,
            area_clause(Area.path, current_user, P.manage_events),
        )
        .order_by(Organisation.name)
    )
    form.organisation_id.choices = [(o.id, o.name) for o in orgs]
    return form


@bp.route("/projects/<int:project_id>")
@login_required
def project_detail(project_id: int) -> Any:
    project = load_or_404(Project, project_id, P.manage_events)
    return render_template(
        "events/project.html",
        project=project,
        figures=services.project_figures(project),
        claim_form=_claim_form(project),
    )


@bp.route("/projects/<int:project_id>/claim", methods=["POST"])
@login_required
def claim_project(project_id: int) -> Any:
    project = load_or_404(Project, project_id, P.manage_events)
    form = _claim_form(project)
    if not form.validate_on_submit():
        flash(_("Choose a social organisation."), "error")
        return redirect(url_for("events.project_detail", project_id=project_id))
    organisation = load_or_404(Organisation, form.organisation_id.data or 0, P.manage_events)
    try:
        with unit_of_work():
            services.claim_project(project, organisation, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("%(org)s took on the project.", org=organisation.name), "success")
    return redirect(url_for("events.project_detail", project_id=project_id))


@bp.route("/projects/<int:project_id>/close", methods=["POST"])
@login_required
def close_project(project_id: int) -> Any:
    project = load_or_404(Project, project_id, P.issue_points)
    try:
        with unit_of_work():
            services.close_project(project, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Project closed."), "success")
    return redirect(url_for("events.project_detail", project_id=project_id))
