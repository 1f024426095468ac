"""Recognition pages: settings, the public notice, objections, certificates."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("recognition", __name__, url_prefix="/recognition")

from points_app.recognition.views import bonus, certificates, feedback, notice  # noqa: E402

__all__ = ["bp", "bonus", "certificates", "feedback", "notice"]
