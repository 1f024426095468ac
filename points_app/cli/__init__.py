"""Command-line commands over the same services the pages use."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from points_app.extensions import db


def register(app: Flask) -> None:
    """Attach every command group to the app."""
    from points_app.cli.demo import demo_command
    from points_app.events.cli import events_group
    from points_app.ledger.cli import ledger_group
    from points_app.reports.cli import report_group

    app.cli.add_command(demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(ledger_group)
    app.cli.add_command(events_group)
    app.cli.add_command(report_group)


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
