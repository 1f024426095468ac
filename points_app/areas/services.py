"""Area tree services. They flush, never commit."""

from __future__ import annotations

from sqlalchemy import func, select

from points_app.areas.models import Area, AreaLevel
from points_app.core.audit import record
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, area_clause, can
from points_app.extensions import db


def create_area(
    *, name: str, code: str, level: AreaLevel, parent: Area | None, actor: object | None
) -> Area:
    """Add an area under a parent, one level below it; a county has no parent."""
    name, code = name.strip(), code.strip()
    if parent is None and level is not AreaLevel.county:
        raise DomainError("invalid_parent", "Only a county can stand without a parent area.", 422)
    if parent is not None:
        if parent.level.child_level() is not level:
            raise DomainError(
                "invalid_parent",
                f"A {level.value} cannot sit directly under a {parent.level.value}.",
                422,
            )
        if actor is not None and not can(actor, Permission.manage_areas, parent):
            raise DomainError("forbidden", "You may not add areas here.", status=403)
    clash = db.session.scalars(select(Area).where(func.lower(Area.code) == code.lower())).first()
    if clash:
        raise DomainError(
            "duplicate_code", f"The code {code} is already used by {clash.name}.", status=422
        )
    area = Area(name=name, code=code, level=level, parent=parent)
    db.session.add(area)
    db.session.flush()
    area.path = (parent.path if parent else "/") + f"{area.id}/"
    db.session.flush()
    record(actor, "area.create", "area", area.id)
    return area


def rename_area(area: Area, *, name: str, code: str, actor: object) -> Area:
    """Change an area's name or code."""
    code = code.strip()
    clash = db.session.scalars(
        select(Area).where(func.lower(Area.code) == code.lower(), Area.id != area.id)
    ).first()
    if clash:
        raise DomainError(
            "duplicate_code", f"The code {code} is already used by {clash.name}.", status=422
        )
    area.name, area.code = name.strip(), code
    record(actor, "area.update", "area", area.id)
    db.session.flush()
    return area


def visible_areas(actor: object, permission: Permission, *levels: AreaLevel) -> list[Area]:
    """Areas at or below where the actor holds the permission, ordered as a tree."""
    stmt = select(Area).where(area_clause(Area.path, actor, permission))
    if levels:
        stmt = stmt.where(Area.level.in_(levels))
    return sorted(db.session.scalars(stmt), key=lambda a: [int(p) for p in a.ancestor_ids()])


def community_of(area: Area) -> Area | None:
    """The community an area lies in (itself if it is one), or None above community level."""
    node: Area | None = area
    while node is not None and node.level is not AreaLevel.community:
        if node.level.depth < AreaLevel.community.depth:
            return None
        node = node.parent
    return node
