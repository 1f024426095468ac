"""Planted bugs where mutmut cannot reach: it never mutates a decorated function, and the
rules that guard points and stock live in some (`@prepared` statements, `@register_check`
checks, `@property` rules). Each bug below is planted alone in a copy of the code, the
named tests run against it, and a bug the tests do not catch is reported.

    .venv/bin/python -m tests.planted_mutants          # all, some minutes
    .venv/bin/python -m tests.planted_mutants debit    # those whose name contains "debit"

Part of `make mutation`; not in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


LEDGER_TESTS = (
    "tests/ledger/test_ledger_rules.py",
    "tests/ledger/test_services.py",
    "tests/ledger/test_verify_failures.py",
    "tests/ledger/test_giving_rules.py",
)
VERIFY_TESTS = ("tests/ledger/test_verify.py", "tests/ledger/test_verify_failures.py")
PENDING_TESTS = ("tests/recognition/test_pending.py",)
STORE_VERIFY_TESTS = ("tests/store/test_verify_failures.py",)
STOCK_TESTS = ("tests/store/test_stock_rules.py", "tests/store/test_redemptions.py")

PLANTS = [
    # The never-negative rule: a user account pays only what it holds.
    # The never-negative rule: a user account pays only what it holds, less what is still
    # on public notice (`ledger.pending.spendable_clause`); system accounts may go below.
    Plant("debit: pays one point more than it holds", "points_app/ledger/pending.py",
          'return Account.balance - pending >= bindparam("amount")',
          'return Account.balance - pending + 1 >= bindparam("amount")',
          LEDGER_TESTS),
    Plant("debit: cannot spend its whole balance", "points_app/ledger/pending.py",
          'return Account.balance - pending >= bindparam("amount")',
          'return Account.balance - pending > bindparam("amount")',
          LEDGER_TESTS),
    Plant("debit: points on public notice may be spent", "points_app/ledger/pending.py",
          'return Account.balance - pending >= bindparam("amount")',
          'return Account.balance >= bindparam("amount")',
          PENDING_TESTS),
    # What mutmut plants in `_move` but its test selection cannot see (the notice tests).
    Plant("debit: the transfer being reversed is not passed on", "points_app/ledger/services.py",
          '"reversing": reversing or 0}', '"reversing": reversing and 0}', PENDING_TESTS),
    Plant("debit: transfer 1 counts as the one being reversed", "points_app/ledger/services.py",
          '"reversing": reversing or 0}', '"reversing": reversing or 1}', PENDING_TESTS),
    Plant("debit: a whole balance partly on notice is refused as missing points",
          "points_app/ledger/services.py", "        if current >= amount:  # enough points",
          "        if current > amount:  # enough points", PENDING_TESTS),
    Plant("debit: the notice refusal forgets the amount", "points_app/ledger/services.py",
          "raise pending.pending_refusal(pending.holdings_of(debit), amount)",
          "raise pending.pending_refusal(pending.holdings_of(debit), 1)", PENDING_TESTS),
    Plant("debit: every account may go below zero", "points_app/ledger/services.py",
          "or_(pending.spendable_clause(), Account.kind.in_(SYSTEM_KINDS))",
          "or_(pending.spendable_clause(), Account.kind.isnot(None))",
          LEDGER_TESTS),
    Plant("debit: system accounts held to zero too", "points_app/ledger/services.py",
          "or_(pending.spendable_clause(), Account.kind.in_(SYSTEM_KINDS))",
          "pending.spendable_clause()",
          LEDGER_TESTS),
    Plant("debit: takes the amount twice", "points_app/ledger/services.py",
          ".values(balance=Account.balance - bindparam(\"amount\"))",
          ".values(balance=Account.balance - 2 * bindparam(\"amount\"))",
          LEDGER_TESTS),
    Plant("credit: adds one point too many", "points_app/ledger/services.py",
          ".values(balance=Account.balance + bindparam(\"amount\"))",
          ".values(balance=Account.balance + bindparam(\"amount\") + 1)",
          LEDGER_TESTS),
    Plant("account query: a household finds the volunteer's account",
          "points_app/ledger/services.py",
          "\"household\": Account.household_id,", "\"household\": Account.volunteer_id,",
          LEDGER_TESTS),
    # Stock never below zero.
    Plant("stock: may take one more than is left", "points_app/store/services/stock.py",
          "stmt = stmt.where(Product.stock >= -bindparam(\"delta\"))",
          "stmt = stmt.where(Product.stock + 1 >= -bindparam(\"delta\"))", STOCK_TESTS),
    Plant("stock: cannot take the last one", "points_app/store/services/stock.py",
          "stmt = stmt.where(Product.stock >= -bindparam(\"delta\"))",
          "stmt = stmt.where(Product.stock > -bindparam(\"delta\"))", STOCK_TESTS),
    Plant("stock: decrease unchecked", "points_app/store/services/stock.py",
          "    if decrease:\n        stmt = stmt.where(",
          "    if False:\n        stmt = stmt.where(", STOCK_TESTS),
    # ledger verify's own checks.
    Plant("verify: system accounts' cached balance not compared", "points_app/ledger/verify.py",
          "        if cached != computed:",
          "        if cached != computed and kind not in SYSTEM_KINDS:", VERIFY_TESTS),
    Plant("verify: below zero not reported", "points_app/ledger/verify.py",
          "if computed < 0 and kind not in SYSTEM_KINDS:",
          "if computed < -1 and kind not in SYSTEM_KINDS:", VERIFY_TESTS),
    Plant("verify: zero reported as below zero", "points_app/ledger/verify.py",
          "if computed < 0 and kind not in SYSTEM_KINDS:",
          "if computed <= 0 and kind not in SYSTEM_KINDS:", VERIFY_TESTS),
    Plant("verify: system accounts below zero reported", "points_app/ledger/verify.py",
          "if computed < 0 and kind not in SYSTEM_KINDS:", "if computed < 0:", VERIFY_TESTS),
    Plant("verify: zero sum not checked", "points_app/ledger/verify.py",
          "    if balances:\n", "    if False:\n", VERIFY_TESTS),
    Plant("verify: reversal's amount not compared", "points_app/ledger/verify.py",
          "if (amount, debit, credit) != (o_amount, o_credit, o_debit):",
          "if (debit, credit) != (o_credit, o_debit):", VERIFY_TESTS),
    Plant("verify: reversal's accounts not compared", "points_app/ledger/verify.py",
          "if (amount, debit, credit) != (o_amount, o_credit, o_debit):",
          "if amount != o_amount:", VERIFY_TESTS),
    Plant("verify: reversal of a reversal allowed", "points_app/ledger/verify.py",
          "if o_kind == TransferKind.reverse.value:", "if o_kind == TransferKind.give.value:",
          VERIFY_TESTS),
    Plant("verify: cached stock not compared", "points_app/store/verify.py",
          "        if cached != int(computed):", "        if False:", STORE_VERIFY_TESTS),
    Plant("verify: a zero stock reported", "points_app/store/verify.py",
          "        if cached < 0:", "        if cached <= 0:", STORE_VERIFY_TESTS),
    Plant("verify: running stock not compared", "points_app/store/verify.py",
          "select(running).where(running.c.stock_after != running.c.running)",
          "select(running).where(running.c.stock_after != running.c.stock_after)",
          STORE_VERIFY_TESTS),
    Plant("verify: redemption lines not compared", "points_app/store/verify.py",
          "if (l_points, l_items) != (total, items):", "if l_items != items:", STORE_VERIFY_TESTS),
    Plant("verify: redemption transfer not compared", "points_app/store/verify.py",
          "if t_amount != total:", "if t_amount is None:", STORE_VERIFY_TESTS),
    Plant("verify: redemption stock moves not compared", "points_app/store/verify.py",
          "if out_items != items:", "if out_items is None:", STORE_VERIFY_TESTS),
    Plant("verify: voided without stock back allowed", "points_app/store/verify.py",
          "if voided and (rev is None or back_items != items):", "if voided and rev is None:",
          STORE_VERIFY_TESTS),
    Plant("verify: reversed but not voided allowed", "points_app/store/verify.py",
          "if not voided and (rev is not None or back_items is not None):",
          "if not voided and rev is not None:", STORE_VERIFY_TESTS),
    # The rating that closes an issue.
    Plant("rating: 3 no longer closes", "points_app/issues/models.py",
          "return self.is_solved and self.satisfaction > 2",
          "return self.is_solved and self.satisfaction > 3", ("tests/issues/test_evaluation.py",)),
    Plant("rating: 2 closes", "points_app/issues/models.py",
          "return self.is_solved and self.satisfaction > 2",
          "return self.is_solved and self.satisfaction > 1", ("tests/issues/test_evaluation.py",)),
    Plant("rating: unsolved closes", "points_app/issues/models.py",
          "return self.is_solved and self.satisfaction > 2",
          "return self.satisfaction > 2", ("tests/issues/test_evaluation.py",)),
    # Which accounts are the system's.
    Plant("account: the store sink is a user account", "points_app/ledger/models.py",
          "{AccountKind.issuance, AccountKind.store_sink, AccountKind.expiry}",
          "{AccountKind.issuance, AccountKind.expiry}", LEDGER_TESTS),
]  # fmt: skip


def _copy_tree(dest: Path) -> None:
    shutil.copytree(
        ROOT / "points_app", dest / "points_app", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("templates", "static", "migrations", "tests", "bench", "pyproject.toml"):
        (dest / name).symlink_to(ROOT / name)


def run(plant: Plant, dest: Path) -> bool:
    """Plant one bug in the copy, run its tests, restore; True if a test failed."""
    target = dest / plant.path
    original = target.read_text()
    if original.count(plant.old) != 1:
        raise SystemExit(f"{plant.name}: the text to replace is not found once in {plant.path}")
    target.write_text(original.replace(plant.old, plant.new))
    try:
        env = {**os.environ, "PYTHONPATH": str(dest)}
        env.pop("TEST_DATABASE_URL", None)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p",
             "no:cacheprovider", "-m", "not slow", *plant.tests],
            cwd=dest, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        return result.returncode != 0
    finally:
        target.write_text(original)


def main(argv: list[str]) -> int:
    chosen = [p for p in PLANTS if not argv or any(a in p.name for a in argv)]
    with tempfile.TemporaryDirectory(prefix="planted-") as tmp:
        dest = Path(tmp)
        _copy_tree(dest)
        # The copy must be what the tests import, or every bug would seem caught... or not.
        check = subprocess.run(
            [sys.executable, "-c", "import points_app; print(points_app.__file__)"],
            cwd=dest, env={**os.environ, "PYTHONPATH": str(dest)}, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        assert check.stdout.strip().startswith(str(dest)), check.stdout
        missed = []
        for plant in chosen:
            caught = run(plant, dest)
            print(f"{'caught' if caught else 'MISSED'}: {plant.name}", flush=True)
            if not caught:
                missed.append(plant.name)
    print(f"\nPlanted {len(chosen)}, caught {len(chosen) - len(missed)}, missed {len(missed)}.")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
