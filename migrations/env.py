"""Alembic environment: runs migrations against the app's database."""

from __future__ import annotations

import logging
from typing import Any

from alembic import context
from flask import current_app

from points_app.core.db import UTCDateTime

config = context.config
log = logging.getLogger("alembic.env")


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Our aware-datetime wrapper is stored as a plain timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options() -> dict[str, Any]:
    return {
        "target_metadata": current_app.extensions["migrate"].db.metadata,
        "render_item": _render_item,
        "compare_type": True,
        "render_as_batch": True,
    }


def run_migrations_offline() -> None:
    """Emit SQL for the migrations without a database connection."""
    url = str(current_app.extensions["migrate"].db.engine.url).replace("%", "%%")
    context.configure(url=url, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the app's engine, in one transaction."""
    engine = current_app.extensions["migrate"].db.engine

    def skip_empty(ctx: Any, revision: Any, directives: list[Any]) -> None:
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    with engine.connect() as connection:
        context.configure(
            connection=connection, process_revision_directives=skip_empty, **_options()
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
