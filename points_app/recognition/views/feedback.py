"""Quarterly feedback to work units: the printable tables, the XLSX, marking as sent."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area, AreaLevel
from points_app.core.audit import record
from points_app.core.clock import local_today
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import flash_domain_error, load_or_404, unit_of_work
from points_app.people.models import Organisation
from points_app.recognition import feedback as services
from points_app.recognition.views import bp

P = Permission


def _community(community_id: int) -> Area:
    community = load_or_404(Area, community_id, P.issue_points)
    if community.level is not AreaLevel.community:
        abort(404)
    return community


def _quarter() -> services.Quarter:
    return services.Quarter.parse(request.args.get("quarter"), local_today())


@bp.route("/feedback/<int:community_id>")
@login_required
def feedback(community_id: int) -> Any:
    community = _community(community_id)
    quarter = _quarter()
    return render_template(
        "recognition/feedback.html",
        community=community,
        quarter=quarter,
        tables=services.quarterly_feedback(community, quarter),
        headers=services.headers(),
    )


@bp.route("/feedback/<int:community_id>.xlsx")
@login_required
def feedback_xlsx(community_id: int) -> Any:
    community = _community(community_id)
    quarter = _quarter()
    tables = services.quarterly_feedback(community, quarter)
    with unit_of_work():  # an export of personal data is audited
        record(current_user, "unit_feedback.export", "area", community.id, quarter=str(quarter))
    response = make_response(services.feedback_xlsx(community, quarter, tables))
    response.headers["Content-Type"] = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="unit-feedback-{community.code}-{quarter}.xlsx"'
    )
    return response


@bp.route("/feedback/units/<int:unit_id>/sent", methods=["POST"])
@login_required
def mark_feedback_sent(unit_id: int) -> Any:
    unit = load_or_404(Organisation, unit_id, P.issue_points)
    quarter = _quarter()
    try:
        with unit_of_work():
            services.mark_sent(unit, quarter, actor=current_user)
    except DomainError as error:
        flash_domain_error(error)
    else:
        flash(_("Marked as sent."), "success")
    return redirect(url_for("recognition.feedback", community_id=unit.area_id, quarter=quarter))
