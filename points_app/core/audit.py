"""Audit log: who looked at or changed what, when and from where, without personal data.

The database refuses to change or delete an entry (append-only triggers, as on transfers).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from points_app.core.append_only import make_append_only
from points_app.core.db import utcnow
from points_app.extensions import Model, db

if TYPE_CHECKING:
    from points_app.accounts.models import User


class AuditEntry(Model):
    """One audited action: the actor, the verb, the object; never the personal data itself."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The client's address (behind a proxy, as TRUSTED_PROXY_HOPS gives it); None off the web.
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship(lazy="joined")


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
        ip=(request.remote_addr or "")[:45] or None if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


make_append_only(AuditEntry, "audit entries")
