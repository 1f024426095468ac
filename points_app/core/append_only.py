"""Append-only tables: the database itself refuses UPDATE and DELETE on their rows."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import DDL, Table, event


def append_only_ddl(table: str, label: str) -> dict[str, list[str]]:
    """The statements, per dialect, that make `table` refuse changes ('<label> are append-only').

    Migrations write the same statements by hand (they must not change with the app).
    """
    message = f"{label} are append-only"
    return {
        "sqlite": [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ],
        "postgresql": [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation'; "
            "END $$",
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ],
    }


def make_append_only(model: type[Any], label: str) -> None:
    """Attach the append-only triggers to a model's table, for schemas built with create_all."""
    table = cast(Table, model.__table__)
    for dialect, statements in append_only_ddl(table.name, label).items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    event.listen(
        table,
        "after_drop",
        DDL(f"DROP FUNCTION IF EXISTS {table.name}_append_only()").execute_if(dialect="postgresql"),
    )
