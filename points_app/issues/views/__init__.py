"""Pages of 居民说事: issues, their moves, talk sessions, the dashboard and reviews."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from points_app.areas.models import Area, AreaLevel
from points_app.areas.services import visible_areas
from points_app.core.permissions import Permission
from points_app.issues import labels

bp = Blueprint("issues", __name__, url_prefix="/issues")


@bp.app_context_processor
def _issue_helpers() -> dict[str, Any]:
    return {
        "issue_state_label": labels.state_label,
        "handling_level_label": labels.level_label,
        "short_level_label": labels.short_level_label,
        "issue_category_label": labels.category_label,
        "issue_channel_label": labels.channel_label,
        "attendee_kind_label": labels.attendee_label,
        "mediation_outcome_label": _outcome_label,
    }


def _outcome_label(outcome: Any) -> str:
    from points_app.issues.mediation import outcome_label

    return outcome_label(outcome)


def area_choices(user: Any, permission: Permission, *levels: AreaLevel) -> list[tuple[int, str]]:
    """Areas for a select box, indented as a tree."""
    return [(a.id, _indented(a)) for a in visible_areas(user, permission, *levels)]


def _indented(area: Area) -> str:
    return "\u3000" * max(len(area.ancestor_ids()) - 3, 0) + area.name


from points_app.issues.views import calendar, issues, mediation, reviews, talks  # noqa: E402, F401
