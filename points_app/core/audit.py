"""Audit log: who looked at or changed what, without personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from points_app.core.db import utcnow
from points_app.extensions import Model, db


class AuditEntry(Model):
    """One audited action: the actor, the verb, the object; never the personal data itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    actor: Any, action: str, object_type: str, object_id: int | None, **detail: Any
) -> AuditEntry:
    """Add an audit entry to the session (flushed with the unit of work)."""
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
    db.session.add(entry)
    return entry
