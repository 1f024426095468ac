"""Pages for events, QR check-in, attendance, venture projects and the needs list."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__)


@bp.app_context_processor
def _labels() -> dict[str, object]:
    from flask_babel import gettext as _

    from points_app.events.forms import kind_label

    def project_status_label(status: object) -> str:
        value = getattr(status, "value", status)
        return {
            "published": _("Published, waiting for an organisation"),
            "claimed": _("Running"),
            "closed": _("Project finished"),
        }[str(value)]

    def need_status_label(status: object) -> str:
        value = getattr(status, "value", status)
        return {
            "open": _("Waiting to be taken on"),
            "claimed": _("Taken on"),
            "done": _("Done"),
            "cancelled": _("Cancelled"),
        }[str(value)]

    return {
        "kind_label": kind_label,
        "project_status_label": project_status_label,
        "need_status_label": need_status_label,
    }


# The route modules attach their views to `bp` when imported.
from points_app.events.views import (  # noqa: E402
    checkin,
    corrections,
    join,
    legal,
    manage,
    mine,
    party,
    projects,
)

__all__ = ["bp", "checkin", "corrections", "join", "legal", "manage", "mine", "party", "projects"]
