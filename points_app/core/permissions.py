"""The one permission check: `can(user, permission, area)`, inherited down the area tree."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, false, or_

if TYPE_CHECKING:
    from points_app.accounts.models import User
    from points_app.areas.models import Area


class Permission(enum.StrEnum):
    """Things a role may do within its area."""

    manage_areas = "manage_areas"
    manage_users = "manage_users"
    view_people = "view_people"
    manage_people = "manage_people"
    view_households = "view_households"
    view_household_private = "view_household_private"
    manage_households = "manage_households"
    manage_pairings = "manage_pairings"
    issue_points = "issue_points"
    reverse_transfers = "reverse_transfers"
    view_accounts = "view_accounts"
    manage_events = "manage_events"
    approve_attendance = "approve_attendance"
    redeem = "redeem"
    void_redemption = "void_redemption"
    manage_store = "manage_store"
    raise_issue = "raise_issue"
    handle_issue = "handle_issue"
    deliberate_issue = "deliberate_issue"
    view_reports = "view_reports"
    view_audit = "view_audit"


P = Permission

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "committee": frozenset(
        {
            P.view_people, P.manage_people, P.view_households, P.view_household_private,
            P.manage_households, P.manage_pairings, P.issue_points, P.reverse_transfers,
            P.view_accounts, P.manage_events, P.approve_attendance, P.manage_store,
            P.void_redemption, P.raise_issue, P.handle_issue, P.deliberate_issue,
            P.view_reports, P.view_audit,
        }
    ),
    "organiser": frozenset(
        {
            P.view_people, P.manage_people, P.view_households, P.manage_pairings,
            P.view_accounts, P.manage_events, P.approve_attendance, P.raise_issue,
            P.handle_issue,
        }
    ),
    "grid_worker": frozenset(
        {P.view_people, P.view_households, P.view_household_private, P.raise_issue, P.handle_issue}
    ),
    "clerk": frozenset({P.view_households, P.redeem, P.void_redemption, P.manage_store}),
    "volunteer": frozenset(),
}  # fmt: skip


def _grants(user: User, permission: Permission) -> list[Area]:
    """Areas at which the user holds a role granting `permission`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return [ra.area for ra in user.roles if permission in ROLE_PERMISSIONS[ra.role.value]]


def can(user: Any, permission: Permission, area: Area | None = None) -> bool:
    """Return True if the user holds `permission` at `area` or at any area above it.

    With no area, return True if the user holds the permission anywhere.
    """
    grants = _grants(user, permission)
    if area is None:
        return bool(grants)
    return any(area.path.startswith(granted.path) for granted in grants)


def area_paths(user: Any, permission: Permission) -> list[str]:
    """The area paths below which the user holds `permission` (most general only)."""
    paths = sorted({a.path for a in _grants(user, permission)}, key=len)
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def area_clause(path_column: Any, user: Any, permission: Permission) -> ColumnElement[bool]:
    """A WHERE clause limiting rows to areas where the user holds `permission`.

    `path_column` is an Area.path column (joined by the caller).
    """
    paths = area_paths(user, permission)
    if not paths:
        return false()
    return or_(*(path_column.startswith(p, autoescape=True) for p in paths))
