"""Pages to see and build the area tree."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas import services
from points_app.areas.forms import AreaForm
from points_app.areas.models import Area, AreaLevel
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, require, unit_of_work

bp = Blueprint("areas", __name__, url_prefix="/areas")


def level_label(level: AreaLevel | str) -> str:
    """The level's name in the current language."""
    labels = {
        "county": _("County"),
        "street": _("Street"),
        "community": _("Community"),
        "grid": _("Grid"),
        "microgrid": _("Microgrid"),
    }
    return labels[AreaLevel(level).value]


@bp.app_context_processor
def _area_helpers() -> dict[str, Any]:
    return {"level_label": level_label}


@bp.route("/")
@login_required
def index() -> Any:
    require(Permission.view_people)
    areas = services.visible_areas(current_user, Permission.view_people)
    return render_template("areas/index.html", areas=areas)


@bp.route("/<int:area_id>/new", methods=["GET", "POST"])
@login_required
def new_child(area_id: int) -> Any:
    parent = load_or_404(Area, area_id, Permission.manage_areas)
    child_level = parent.level.child_level()
    if child_level is None:
        flash(_("Nothing can be added below a microgrid."), "error")
        return redirect(url_for("areas.index"))
    form = AreaForm()
    form.level.choices = [(child_level.value, level_label(child_level))]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.create_area(
                    name=form.name.data or "",
                    code=form.code.data or "",
                    level=child_level,
                    parent=parent,
                    actor=current_user,
                )
        except DomainError as error:
            form.code.errors = [error.message]
        else:
            flash(_("Area added."), "success")
            return redirect(url_for("areas.index"))
    return render_template("areas/form.html", form=form, parent=parent, area=None)


@bp.route("/<int:area_id>/edit", methods=["GET", "POST"])
@login_required
def edit(area_id: int) -> Any:
    area = load_or_404(Area, area_id, Permission.manage_areas)
    form = AreaForm(obj=area)
    form.level.choices = [(area.level.value, level_label(area.level))]
    form.level.data = area.level.value
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.rename_area(
                    area, name=form.name.data or "", code=form.code.data or "", actor=current_user
                )
        except DomainError as error:
            form.code.errors = [error.message]
        else:
            flash(_("Area saved."), "success")
            return redirect(url_for("areas.index"))
    return render_template("areas/form.html", form=form, parent=area.parent, area=area)
