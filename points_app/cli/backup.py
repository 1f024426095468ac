"""`flask backup --output FILE` and `flask restore --input FILE`: the whole database.

SQLite is copied with its online backup API (a consistent copy while the app keeps
serving); PostgreSQL with `pg_dump` in its custom format, restored by `pg_restore` in a
single transaction (all or nothing). A backup holds residents' personal data: the file
is created readable by its owner only. Restoring replaces what the database holds, so it
asks first (or takes `--yes`); stop the app's workers before restoring.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from points_app.extensions import db


def _url() -> URL:
    return db.engine.url


def _sqlite_file(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("An in-memory SQLite database cannot be backed up.")
    return url.database


def _private_file(path: Path) -> None:
    """Create (or empty) a file that only its owner may read."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and an environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise click.ClickException(f"{name} is not installed (apt-get install postgresql-client).")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def backup_database(output: Path) -> None:
    """Write a consistent copy of the app's database to `output` (owner-only permissions)."""
    url = _url()
    partial = output.with_name(output.name + ".partial")
    _private_file(partial)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_file(url)
            raw = db.engine.raw_connection()
            target = sqlite3.connect(partial)
            try:
                raw.driver_connection.backup(target)  # type: ignore[union-attr]
            finally:
                target.close()
                raw.close()
        elif url.get_backend_name() == "postgresql":
            dsn, env = _libpq(url)
            _run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                 f"--file={partial}", f"--dbname={dsn}"],
                env,
            )  # fmt: skip
        else:
            raise click.ClickException(f"No backup for {url.get_backend_name()} databases.")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def restore_database(source: Path) -> None:
    """Replace the app's database with the backup in `source` (checked first)."""
    url = _url()
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours may hold a lock or stale pages
    if url.get_backend_name() == "sqlite":
        target_file = _sqlite_file(url)
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            try:
                ok = backup.execute("PRAGMA quick_check").fetchone()
            except sqlite3.DatabaseError as error:
                raise click.ClickException(f"{source} is not a SQLite backup: {error}") from None
            if ok is None or ok[0] != "ok":
                raise click.ClickException(f"{source} is damaged: {ok}")
            target = sqlite3.connect(target_file)
            try:
                backup.backup(target)
            finally:
                target.close()
        finally:
            backup.close()
    elif url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run([_tool("pg_restore"), "--list", str(source)], env)  # a readable archive?
        _run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(source)],
            env,
        )  # fmt: skip
    else:
        raise click.ClickException(f"No restore for {url.get_backend_name()} databases.")
    db.engine.dispose()


@click.command("backup")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write (SQLite: a database file; PostgreSQL: pg_dump custom format).",
)
@with_appcontext
def backup_command(output: Path) -> None:
    """Back up the whole database to a file, while the app keeps running."""
    backup_database(output)
    click.echo(f"Backed up {_url().get_backend_name()} database to {output}.")


@click.command("restore")
@click.option(
    "--input",
    "source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    help="A file written by `flask backup`.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace everything in the database with a backup (stop the app first)."""
    where = _url().render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"This replaces everything in {where} with {source}. Continue?", abort=True)
    restore_database(source)
    click.echo(f"Restored {where} from {source}. Run `flask ledger verify` to check it.")
