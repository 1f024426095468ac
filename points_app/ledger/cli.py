"""`flask ledger verify` and `flask ledger history ACCOUNT_ID`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account
from points_app.ledger.verify import run_checks


@click.group("ledger")
def ledger_group() -> None:
    """The points ledger: verify balances, show an account's history."""


@ledger_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """Recompute every balance from the transfers; exit 1 on any difference."""
    results = run_checks()
    differences = 0
    for result in results:
        counts = ", ".join(f"{name} {n}" for name, n in result.counts.items())
        status = "ok" if result.is_clean else f"{len(result.problems)} difference(s)"
        click.echo(f"{result.name}: {counts}: {status}")
        for problem in result.problems:
            click.echo(f"  - {problem}")
        differences += len(result.problems)
    summary = {name: n for result in results for name, n in result.counts.items()}
    click.echo(
        f"Accounts checked: {summary.get('accounts', 0)}; transfers: "
        f"{summary.get('transfers', 0)}; differences: {differences}"
    )
    if differences:
        raise SystemExit(1)


@ledger_group.command("history")
@click.argument("account_id", type=int)
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--per-page", default=30, show_default=True, type=click.IntRange(1, 200))
@with_appcontext
def history_command(account_id: int, page: int, per_page: int) -> None:
    """Print an account's transfers, newest first."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise click.ClickException(f"No account {account_id}.")
    click.echo(f"Account {account.id} ({account.kind}), balance {services.balance_of(account)}")
    rows, has_next = services.history(account, page=page, per_page=per_page)
    for t in rows:
        other = t.counterparty(account)
        line = (
            f"{t.created_at:%Y-%m-%d %H:%M}Z #{t.id:<6} {t.kind:<8} {t.signed_amount(account):>+7}"
            f"  with account {other.id} ({other.kind})"
        )
        if t.reverses_id:
            line += f"  reverses #{t.reverses_id}"
        if t.memo:
            line += f"  {t.memo}"
        click.echo(line)
    if not rows:
        click.echo("No transfers.")
    if has_next:
        click.echo(f"More: --page {page + 1}")
