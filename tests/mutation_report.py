"""Summarise a mutmut run (`make mutation`) per package: generated, killed, survived,
timed out, not covered by any test. Reads the results mutmut keeps under mutants/.

    .venv/bin/python -m tests.mutation_report            # the table (Markdown)
    .venv/bin/python -m tests.mutation_report --survivors  # and every survivor's name
    .venv/bin/python -m tests.mutation_report --functions  # per function that was checked
    .venv/bin/python -m tests.mutation_report --sample store 150 20261201 store/services/cards.py
        # 150 mutant names of points_app/store/, all but cards.py, drawn uniformly with seed
        # 20261201: pass them to `mutmut run` when the whole package would take too long
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

# mutmut's exit codes (mutmut.stats.status_by_exit_code), grouped as the report counts them.
STATUS = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", -24: "timeout", 24: "timeout",
          152: "timeout", 255: "timeout", 5: "no tests", 33: "no tests", 34: "skipped",
          37: "killed", None: "not checked"}  # fmt: skip
COLUMNS = ["killed", "survived", "timeout", "no tests", "not checked", "other"]


def package_of(meta: Path, root: Path) -> str:
    """`ledger`, `store`, ... or `core/qr.py` for the files of core (each reported alone)."""
    parts = meta.relative_to(root / "points_app").parts
    if parts[0] == "core":
        return "core/" + parts[1].removesuffix(".meta")
    return parts[0]


def collect(root: Path) -> tuple[dict[str, Counter[str]], dict[str, list[str]]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for meta in sorted((root / "points_app").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        package = package_of(meta, root)
        for name, code in data["exit_code_by_key"].items():
            status = STATUS.get(code, "other")
            counts[package][status] += 1
            if status in ("survived", "timeout", "no tests"):
                survivors[package].append(f"{status}: {name}")
    return counts, survivors


def table(counts: dict[str, Counter[str]]) -> str:
    lines = [
        "| package | generated | " + " | ".join(COLUMNS) + " | killed % of checked |",
        "|---" * (len(COLUMNS) + 3) + "|",
    ]
    for package, c in sorted(counts.items()):
        total = sum(c.values())
        if not total:
            continue
        checked = total - c["not checked"] - c["no tests"]
        share = f"{100 * c['killed'] / checked:.1f}" if checked else "–"
        cells = " | ".join(str(c[col]) for col in COLUMNS)
        lines.append(f"| {package} | {total} | {cells} | {share} |")
    return "\n".join(lines)


def function_of(name: str) -> str:
    """`ledger.services._post` from `points_app.ledger.services.x__post__mutmut_3`."""
    module, _, rest = name.removeprefix("points_app.").rpartition(".")
    function = rest.removeprefix("x_").rsplit("__mutmut_", 1)[0]
    return f"{module}.{function.replace('ǁ', '.')}"


def function_table(root: Path) -> str:
    """Per function with at least one mutant checked: checked, killed, survived, no tests."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for meta in sorted((root / "points_app").rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            counts[function_of(name)][STATUS.get(code, "other")] += 1
    lines = [
        "| function | checked | killed | survived | timeout | no tests |",
        "|---|---|---|---|---|---|",
    ]
    for function, c in sorted(counts.items()):
        checked = sum(c.values()) - c["not checked"]
        if checked:
            lines.append(
                f"| `{function}` | {checked} | {c['killed']} | {c['survived']} | "
                f"{c['timeout']} | {c['no tests']} |"
            )
    return "\n".join(lines)


def sample(root: Path, under: str, size: int, seed: int, leave_out: list[str]) -> list[str]:
    """`size` names of the mutants generated under points_app/`under`, outside the files
    `leave_out`, drawn uniformly without replacement (sorted first, so a seed is repeatable)."""
    names = []
    for meta in sorted((root / "points_app").rglob("*.py.meta")):
        path = meta.relative_to(root / "points_app").as_posix().removesuffix(".meta")
        if path.startswith(under) and path not in leave_out:
            names.extend(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(random.Random(seed).sample(sorted(names), min(size, len(names))))


def main(argv: list[str]) -> int:
    root = Path("mutants")
    if not root.is_dir():
        print("No mutants/ folder: run `make mutation` first.", file=sys.stderr)
        return 1
    if argv[:1] == ["--sample"]:
        under, size, seed, *leave_out = argv[1:]
        print("\n".join(sample(root, under, int(size), int(seed), leave_out)))
        return 0
    counts, survivors = collect(root)
    print(table(counts))
    if "--functions" in argv:
        print()
        print(function_table(root))
    if "--survivors" in argv:
        for package, names in sorted(survivors.items()):
            print(f"\n{package}:")
            for name in names:
                print("  " + name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
