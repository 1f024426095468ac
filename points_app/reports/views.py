"""Report pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
def dashboard() -> str:
    return ""
