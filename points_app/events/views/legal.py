"""Pages for legal talks and the communities' legal advisers."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import visible_areas
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, area_clause
from points_app.core.web import load_or_404, require, unit_of_work
from points_app.events import legal
from points_app.events.forms import AdviserForm, LegalPointsForm, LegalTalkForm
from points_app.events.views import bp
from points_app.events.views.common import to_utc
from points_app.extensions import db

MANAGE = Permission.manage_events


def _communities() -> list[Area]:
    return visible_areas(current_user, MANAGE, AreaLevel.community)


def _adviser_form(communities: list[Area]) -> AdviserForm:
    form = AdviserForm()
    form.community_id.choices = [(c.id, c.name) for c in communities]
    return form


def _talk_form(communities: list[Area]) -> LegalTalkForm:
    form = LegalTalkForm()
    form.speaker_id.choices = [
        (a.id, f"{a.name} · {a.organisation} ({a.community.name})" if a.organisation
         else f"{a.name} ({a.community.name})")
        for a in legal.advisers_of(communities)
    ]  # fmt: skip
    return form


@bp.route("/legal")
@login_required
def legal_index() -> Any:
    require(MANAGE)
    communities = _communities()
    talks = db.session.scalars(
        select(legal.LegalTalk)
        .join(legal.LegalTalk.event)
        .join(Area, Area.id == legal.Event.area_id)
        .where(area_clause(Area.path, current_user, MANAGE))
        .order_by(legal.Event.starts_at.desc())
        .limit(50)
    )
    settings = {c.id: legal.settings_for(c) for c in communities}
    return render_template(
        "events/legal.html",
        communities=communities,
        advisers=legal.advisers_of(communities),
        talks=list(talks),
        settings=settings,
        adviser_form=_adviser_form(communities),
        points_form=LegalPointsForm(formdata=None),
    )


@bp.route("/legal/advisers", methods=["POST"])
@login_required
def add_adviser() -> Any:
    require(MANAGE)
    form = _adviser_form(_communities())
    if form.validate_on_submit():
        community = load_or_404(Area, form.community_id.data or 0, MANAGE)
        try:
            with unit_of_work():
                legal.add_adviser(
                    community,
                    name=form.name.data or "",
                    organisation=form.organisation.data or "",
                    phone=form.phone.data or "",
                    actor=current_user,
                )
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Legal adviser added."), "success")
    else:
        flash(_("Give the adviser's name and community."), "error")
    return redirect(url_for("events.legal_index"))


@bp.route("/legal/settings/<int:community_id>", methods=["POST"])
@login_required
def legal_points(community_id: int) -> Any:
    community = load_or_404(Area, community_id, MANAGE)
    form = LegalPointsForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            legal.set_talk_points(
                community, earn=bool(form.earn.data), points=form.points.data or 1,
                actor=current_user,
            )  # fmt: skip
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Points rule for legal talks saved."), "success")
    return redirect(url_for("events.legal_index"))


@bp.route("/legal/talks/new", methods=["GET", "POST"])
@login_required
def new_legal_talk() -> Any:
    require(MANAGE)
    form = _talk_form(_communities())
    if form.validate_on_submit():
        speaker = load_or_404(legal.LegalAdviser, form.speaker_id.data or 0, MANAGE)
        assert form.starts_at.data is not None and form.ends_at.data is not None
        try:
            with unit_of_work():
                talk = legal.create_legal_talk(
                    legal.LegalTalkData(
                        community=speaker.community,
                        speaker=speaker,
                        topic=form.topic.data or "",
                        place=form.place.data or "",
                        starts_at=to_utc(form.starts_at.data),
                        ends_at=to_utc(form.ends_at.data),
                    ),
                    actor=current_user,
                )
        except DomainError as error:
            form.topic.errors = [error.message]
        else:
            flash(_("Legal talk created. Show its QR code for check-in."), "success")
            return redirect(url_for("events.detail", event_id=talk.event_id))
    return render_template("events/legal_talk_form.html", form=form)
