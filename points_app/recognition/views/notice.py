"""The community's recognition settings, its monthly public notice and objections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area, AreaLevel
from points_app.core.clock import local_date, local_today
from points_app.core.db import utcnow
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import flash_domain_error, load_or_404, unit_of_work
from points_app.extensions import db
from points_app.ledger.models import Transfer
from points_app.recognition import notice as services
from points_app.recognition.forms import (
    ObjectionForm,
    RecognitionSettingsForm,
    ResolveObjectionForm,
)
from points_app.recognition.models import Objection
from points_app.recognition.settings import save_settings, settings_for
from points_app.recognition.views import bp

P = Permission


def _community(community_id: int, permission: Permission) -> Area:
    community = load_or_404(Area, community_id, permission)
    if community.level is not AreaLevel.community:
        abort(404)
    return community


def _month() -> dt.date:
    """The ?month=YYYY-MM argument, this local month by default."""
    try:
        return dt.datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        return local_today().replace(day=1)


@bp.route("/settings/<int:community_id>", methods=["GET", "POST"])
@login_required
def settings(community_id: int) -> Any:
    community = _community(community_id, P.issue_points)
    form = RecognitionSettingsForm(obj=settings_for(community))
    if form.validate_on_submit():
        try:
            with unit_of_work():
                save_settings(
                    community,
                    actor=current_user,
                    notice_days=form.notice_days.data or 0,
                    certificates_at_once=bool(form.certificates_at_once.data),
                    contact=form.contact.data or "",
                )
        except DomainError as error:
            form.notice_days.errors = [error.message]
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("recognition.notice", community_id=community.id))
    return render_template("recognition/settings.html", form=form, community=community)


@bp.route("/notice/<int:community_id>")
@login_required
def notice(community_id: int) -> Any:
    community = _community(community_id, P.view_accounts)
    month = _month()
    sheet = services.notice_sheet(community, month)
    return render_template(
        "recognition/notice.html",
        sheet=sheet,
        community=community,
        settings=settings_for(community),
        may_object=can(current_user, P.issue_points, community),
        may_resolve=can(current_user, P.reverse_transfers, community),
        objection_form=ObjectionForm(),
        resolve_form=ResolveObjectionForm(),
        now=utcnow(),
        previous=(month - dt.timedelta(days=1)).strftime("%Y-%m"),
        following=(month + dt.timedelta(days=32)).strftime("%Y-%m"),
    )


@bp.route("/notice/<int:community_id>/objections", methods=["POST"])
@login_required
def raise_objection(community_id: int) -> Any:
    community = _community(community_id, P.issue_points)
    form = ObjectionForm()
    month = request.args.get("month", "")
    back = url_for("recognition.notice", community_id=community.id, month=month or None)
    if not form.validate_on_submit():
        flash(_("Say what the objection is."), "error")
        return redirect(back)
    transfer = db.session.get(Transfer, int(form.transfer_id.data or 0))
    if transfer is None:
        abort(404)
    try:
        with unit_of_work():
            services.raise_objection(
                transfer, community, reason=form.reason.data or "", actor=current_user
            )
    except DomainError as error:
        flash_domain_error(error)
    else:
        flash(_("Objection recorded."), "success")
    return redirect(back)


@bp.route("/objections/<int:objection_id>/resolve", methods=["POST"])
@login_required
def resolve_objection(objection_id: int) -> Any:
    objection = load_or_404(Objection, objection_id, P.reverse_transfers)
    form = ResolveObjectionForm()
    month = local_date(objection.transfer.created_at).strftime("%Y-%m")
    back = url_for("recognition.notice", community_id=objection.community_id, month=month)
    if not form.validate_on_submit() or form.decision.data not in ("stand", "reverse"):
        abort(400)
    try:
        with unit_of_work():
            services.resolve_objection(
                objection,
                reverse=form.decision.data == "reverse",
                note=form.note.data or "",
                actor=current_user,
            )
    except DomainError as error:
        flash_domain_error(error)
    else:
        flash(_("Objection resolved."), "success")
    return redirect(back)
