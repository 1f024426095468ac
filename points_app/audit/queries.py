"""Search the audit log, limited to what the viewer may see.

An administrator at the top of the area tree sees every entry. Otherwise a viewer (an
administrator or committee below the top) sees the entries made by users who hold a
role inside the viewer's areas: the staff they answer for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, true

from points_app.accounts.models import RoleAssignment, User
from points_app.areas.models import Area
from points_app.core.audit import AuditEntry
from points_app.core.permissions import Permission, area_clause, area_paths
from points_app.extensions import db

# Actions that show or hand out personal data: unmasked views, look-ups, exports.
PERSONAL_DATA_MARKERS = ("view_private", "reveal", "lookup", "export", "unmasked")


@dataclass(frozen=True)
class AuditFilter:
    """What the search asks for; every part optional."""

    who: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    ip: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    personal_only: bool = False


def _visible(actor: Any) -> ColumnElement[bool]:
    paths = area_paths(actor, Permission.view_audit)
    top = db.session.scalars(select(Area.path).where(Area.parent_id.is_(None))).all()
    if any(path in top for path in paths):
        return true()
    staff = (
        select(RoleAssignment.id)
        .join(Area, Area.id == RoleAssignment.area_id)
        .where(
            RoleAssignment.user_id == AuditEntry.actor_id,
            area_clause(Area.path, actor, Permission.view_audit),
        )
    )
    return exists(staff)


def _search(stmt: Select[Any], wanted: AuditFilter) -> Select[Any]:
    if wanted.who:
        who = select(User.id).where(
            or_(
                func.lower(User.username).contains(wanted.who.lower(), autoescape=True),
                User.display_name.contains(wanted.who, autoescape=True),
            )
        )
        stmt = stmt.where(AuditEntry.actor_id.in_(who))
    if wanted.action:
        stmt = stmt.where(AuditEntry.action.startswith(wanted.action, autoescape=True))
    if wanted.object_type:
        stmt = stmt.where(AuditEntry.object_type == wanted.object_type)
    if wanted.object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == wanted.object_id)
    if wanted.ip:
        stmt = stmt.where(AuditEntry.ip.startswith(wanted.ip, autoescape=True))
    if wanted.since is not None:
        stmt = stmt.where(AuditEntry.at >= wanted.since)
    if wanted.until is not None:
        stmt = stmt.where(AuditEntry.at < wanted.until)
    if wanted.personal_only:
        stmt = stmt.where(
            or_(*(AuditEntry.action.contains(m, autoescape=True) for m in PERSONAL_DATA_MARKERS))
        )
    return stmt


def audit_page(
    actor: Any, wanted: AuditFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[AuditEntry], bool]:
    """A page of the entries the actor may see that match, newest first; and if more follow."""
    stmt = _search(select(AuditEntry).where(_visible(actor)), wanted)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def object_types() -> list[str]:
    """The kinds of object the log names, for the search form."""
    stmt = select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    return list(db.session.scalars(stmt))
