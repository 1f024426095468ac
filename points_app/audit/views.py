"""The audit log page, for administrators and committees (the staff of their areas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from points_app.audit import queries
from points_app.core.clock import local_zone
from points_app.core.permissions import Permission
from points_app.core.web import MAX_DB_ID, page_number, require

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _day(name: str, *, end: bool = False) -> dt.datetime | None:
    """A local YYYY-MM-DD argument as the UTC moment its day starts (or the next day, for end)."""
    try:
        day = dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    if not 1900 <= day.year <= 9000:  # out of any log's range (and of datetime's, in UTC)
        return None
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone()).astimezone(dt.UTC)


def _filter() -> queries.AuditFilter:
    args = request.args
    object_id = args.get("object_id", "")
    return queries.AuditFilter(
        who=args.get("who", "").strip()[:64],
        action=args.get("action", "").strip()[:64],
        object_type=args.get("object_type", "").strip()[:64],
        object_id=int(object_id) if object_id.isdigit() and int(object_id) <= MAX_DB_ID else None,
        ip=args.get("ip", "").strip()[:45],
        since=_day("from"),
        until=_day("to", end=True),
        personal_only=args.get("personal") == "1",
    )


@bp.route("/")
@login_required
def index() -> Any:
    require(Permission.view_audit)
    page = page_number()
    entries, has_next = queries.audit_page(
        current_user, _filter(), page=page, per_page=int(current_app.config["PAGE_SIZE"])
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "audit/index.html",
        entries=entries,
        has_next=has_next,
        page=page,
        args=args,
        object_types=queries.object_types(),
        personal_markers=queries.PERSONAL_DATA_MARKERS,
    )
