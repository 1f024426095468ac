"""Command-line commands over the same services the pages use."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from points_app.extensions import db


def register(app: Flask) -> None:
    """Attach every command group to the app."""
    from points_app.cli.backup import backup_command, restore_command
    from points_app.cli.demo import demo_command
    from points_app.events.cli import events_group
    from points_app.ledger.cli import ledger_group
    from points_app.reports.cli import report_group

    app.cli.add_command(demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(ledger_group)
    app.cli.add_command(events_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(rotate_key_command)
    app.cli.add_command(new_data_key_command)
    app.cli.add_command(report_group)


@click.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """Re-encrypt ID numbers and phones with POINTS_DATA_KEY (old keys in POINTS_DATA_KEY_OLD).

    Stop the app first, run this with the new key in POINTS_DATA_KEY and the old one in
    POINTS_DATA_KEY_OLD, then start the app with the new key only.
    """
    from points_app.core.crypto import DataKeyError, keyring
    from points_app.core.rotation import rotate_data_key

    try:
        changed = rotate_data_key()
        db.session.commit()
    except DataKeyError as error:
        db.session.rollback()
        raise click.ClickException(
            f"{error}. Put the key that wrote it in POINTS_DATA_KEY_OLD; nothing was changed."
        ) from error
    click.echo(f"Re-encrypted {changed} values with key {keyring().current.key_id}.")


@click.command("new-data-key")
def new_data_key_command() -> None:
    """Print a new random data key for POINTS_DATA_KEY."""
    from points_app.core.crypto import generate_data_key

    click.echo(generate_data_key())


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--name", "display_name", default="", help="Display name (defaults to username).")
@click.option("--area-code", default=None, help="Area the admin role holds at (default: the top).")
@click.password_option()
@with_appcontext
def create_admin_command(
    username: str, display_name: str, area_code: str | None, password: str
) -> None:
    """Create an administrator at the top of the area tree (making a county if none exists)."""
    from sqlalchemy import select

    from points_app.accounts.models import Role, RoleAssignment
    from points_app.accounts.services import create_user
    from points_app.areas.models import Area, AreaLevel
    from points_app.areas.services import create_area
    from points_app.core.errors import DomainError

    try:
        if area_code:
            area = db.session.scalars(select(Area).where(Area.code == area_code)).first()
            if area is None:
                raise click.ClickException(f"No area with code {area_code}.")
        else:
            area = db.session.scalars(
                select(Area).where(Area.parent_id.is_(None)).order_by(Area.id)
            ).first()
            if area is None:
                area = create_area(
                    name="County", code="COUNTY", level=AreaLevel.county, parent=None, actor=None
                )
        user = create_user(
            username=username, password=password, display_name=display_name or username
        )
        db.session.add(RoleAssignment(user=user, role=Role.admin, area=area))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Administrator {username} created at {area.name} ({area.code}).")
