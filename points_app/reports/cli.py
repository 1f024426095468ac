"""`flask report figures` and `flask report export`: the figures and files for county staff."""

from __future__ import annotations

import getpass
import json
from typing import Any, NoReturn

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import func, select

from points_app.areas.models import Area
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.reports import exports, rollup
from points_app.reports.figures import FIGURES, check_report_area, compute_figures
from points_app.reports.labels import figure_label
from points_app.reports.period import Period, make_period, parse_day
from points_app.reports.sources import EXPORT_KINDS, Query


@click.group("report")
def report_group() -> None:
    """The committee's figures and exports."""


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


def _area_and_period(code: str, start: str | None, end: str | None) -> tuple[Area, Period]:
    area = db.session.scalars(select(Area).where(func.lower(Area.code) == code.lower())).first()
    if area is None:
        _fail(f"no area with code {code}")
    try:
        check_report_area(area)
        return area, make_period(start, end)
    except DomainError as error:
        _fail(str(error.message))


def _period_options(command: Any) -> Any:
    command = click.option("--to", "end", default=None, help="Last local day, YYYY-MM-DD.")(command)
    command = click.option("--from", "start", default=None, help="First local day.")(command)
    return click.option("--area", "code", required=True, help="Area code, e.g. XS-DD-DG.")(command)


@report_group.command("figures")
@_period_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object, a key per figure.")
@with_appcontext
def figures_command(code: str, start: str | None, end: str | None, as_json: bool) -> None:
    """Print every figure for an area and period (default: this month)."""
    area, period = _area_and_period(code, start, end)
    figures = compute_figures(area, period)
    if as_json:
        click.echo(json.dumps(figures.as_json(), ensure_ascii=False))
        return
    click.echo(f"{area.name} ({area.code})  {period.start} – {period.end}")
    for key in FIGURES:
        value = figures.totals[key]
        click.echo(f"  {figure_label(key)}: {'—' if value is None else value}")


@report_group.command("export")
@click.argument("kind", type=click.Choice(EXPORT_KINDS))
@_period_options
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="csv")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--unmasked", is_flag=True, help="Households' and residents' names in full (audited)."
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Header language.")
@with_appcontext
def export_command(
    kind: str, code: str, start: str | None, end: str | None, fmt: str, output: str,
    unmasked: bool, lang: str,
) -> None:  # fmt: skip
    """Write the rows the page's export gives to a CSV or XLSX file."""
    area, period = _area_and_period(code, start, end)
    source = exports.source_for(kind, exports_only=True)
    query = Query(area=area, period=period, unmasked=unmasked)
    with force_locale(lang):
        rows = exports.write_export(source, query, fmt, output)
    exports.audit_export(
        None, source, query, fmt=fmt, rows=rows, via="cli", operator=getpass.getuser()
    )
    db.session.commit()
    click.echo(f"{rows} rows written to {output}", err=True)


@report_group.command("rollup")
@click.option("--through", default=None, help="Last local day to store (default: yesterday).")
@click.option("--rebuild", is_flag=True, help="Drop the stored days and count them again.")
@with_appcontext
def rollup_command(through: str | None, rebuild: bool) -> None:
    """Store the points totals of the days that are over (run nightly, after midnight)."""
    try:
        last = parse_day(through) if through else None
        days = (rollup.rebuild if rebuild else rollup.roll_up)(last)
    except DomainError as error:
        _fail(str(error.message))
    db.session.commit()
    click.echo(f"{days} days added; stored through {rollup.rolled_through()}", err=True)
