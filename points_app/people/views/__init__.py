"""Pages for volunteers, organisations, households in need and pairings."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__)

# The route modules attach their views to `bp` when imported.
from points_app.people.views import (  # noqa: E402
    households,
    organisations,
    pairings,
    sign_in,
    volunteers,
)

__all__ = ["bp", "households", "organisations", "pairings", "sign_in", "volunteers"]
