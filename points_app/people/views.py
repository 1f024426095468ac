"""Pages for volunteers, organisations, households and pairings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("people", __name__)


@bp.route("/volunteers")
@login_required
def volunteers() -> Any:
    return "todo"


@bp.route("/organisations")
@login_required
def organisations() -> Any:
    return "todo"


@bp.route("/households")
@login_required
def households() -> Any:
    return "todo"


@bp.route("/pairings")
@login_required
def pairings() -> Any:
    return "todo"
