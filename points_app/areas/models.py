"""The administrative area tree: county > street > community > grid > microgrid."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.extensions import Model


class AreaLevel(enum.StrEnum):
    """Levels of the tree, top to bottom."""

    county = "county"
    street = "street"
    community = "community"
    grid = "grid"
    microgrid = "microgrid"

    @property
    def depth(self) -> int:
        return list(AreaLevel).index(self)

    def child_level(self) -> AreaLevel | None:
        levels = list(AreaLevel)
        return levels[self.depth + 1] if self.depth + 1 < len(levels) else None


class Area(Model):
    """One node of the area tree; `path` holds the ids from the root, e.g. '/1/4/9/'."""

    __tablename__ = "areas"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    level: Mapped[AreaLevel] = mapped_column(
        Enum(AreaLevel, name="area_level", native_enum=False, length=20)
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True, default="")

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent", order_by="Area.name")

    @property
    def area(self) -> Area:
        """An area is checked against itself, like every other object with an `.area`."""
        return self

    def is_within(self, other: Area) -> bool:
        """Return True if this area is `other` or lies below it."""
        return self.path.startswith(other.path)

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this area, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.name}>"
