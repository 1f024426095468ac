"""A pytest plugin that checks mutmut's mutants faster on a busy machine: the collected
tests run once per mutant, each mutant in a forked child (as mutmut's workers do), in the
order given, stopping at the first failure. mutmut runs the covering tests fastest first,
so the rule's own tests (the ones that kill) often come last; here they come first.

Run it inside mutmut's `mutants/` folder (after `mutmut run` generated them), on files
of mutmut's test selection; a mutant it kills, mutmut's selection kills too:

    cd mutants && PYTHONPATH=. python -m pytest -p tests.mutation_fork -q \\
      --mutants=names.txt --results=results.jsonl -m "not browser and not slow" \\
      tests/ledger/test_ledger_rules.py tests/ledger/test_services.py

Each line of results.jsonl: the mutant, "killed" / "survived" / "other:<exit>", seconds
and the first failing test. Names already in it are skipped, so a run can be resumed.

With `--covering`, the tests first run once unmutated under mutmut's "stats" switch,
which records each mutated function a test reaches (mutmut's own way to pick a mutant's
tests); each mutant then runs only the tests that reach its function, in the order
given, and one that no test reaches is "no tests". A survivor then costs its few
covering tests instead of the whole list, so whole packages fit in an hour or two.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from _pytest.runner import runtestprotocol
from mutmut.utils.format_utils import mangled_name_from_mutant_name as mangled


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--mutants", help="a file of mutant names, one a line")
    parser.addoption("--results", help="the JSON-lines file results are added to")
    parser.addoption("--jobs", type=int, default=2)
    parser.addoption("--per-mutant-timeout", type=int, default=300)
    parser.addoption("--covering", action="store_true", help="run only the covering tests")


def _covering_tests(items: list[Any]) -> dict[str, list[Any]]:
    """Each mutated function (mutmut's mangled name) and the tests that reach it, in order."""
    from mutmut.state import state

    os.environ["MUTANT_UNDER_TEST"] = "stats"
    reached: dict[str, list[Any]] = {}
    for item in items:
        runtestprotocol(item, nextitem=None, log=False)
        for function in state()._stats:
            reached.setdefault(function, []).append(item)
        state()._stats.clear()
    del os.environ["MUTANT_UNDER_TEST"]
    return reached


def _run_one(items: list[Any], name: str, failfile: Path, limit: int) -> int:
    """In the child: the tests against one mutant; 1 at the first failure, else 0."""
    os.environ["MUTANT_UNDER_TEST"] = name  # read by every mutated function's trampoline
    signal.alarm(limit)
    try:
        for item in items:
            failed = [r for r in runtestprotocol(item, nextitem=None, log=False) if r.failed]
            if failed:
                failfile.write_text(item.nodeid + "\n" + str(failed[0].longrepr)[-1500:])
                return 1
    except BaseException as error:  # the alarm, or a mutant that breaks pytest itself
        failfile.write_text(f"error: {error!r}"[:300])
        return 1
    return 0


def pytest_runtestloop(session: Any) -> bool:
    config = session.config
    out = Path(config.getoption("--results"))
    done = (
        {json.loads(line)["name"] for line in out.read_text().splitlines()}
        if out.exists()
        else set()
    )
    names = [n.strip() for n in Path(config.getoption("--mutants")).read_text().splitlines()]
    running: dict[int, tuple[str, float, Path]] = {}

    def reap() -> None:
        pid, status = os.waitpid(-1, 0)
        name, start, failfile = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        failed = failfile.read_text() if failfile.exists() else ""
        failfile.unlink(missing_ok=True)
        verdict = {0: "survived", 1: "killed", 5: "no tests"}.get(code, f"other:{code}")
        row = {
            "name": name,
            "status": verdict,
            "secs": round(time.time() - start, 1),
            "failed": failed,
        }
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(verdict, name, row["secs"], flush=True)

    reached = _covering_tests(session.items) if config.getoption("--covering") else None
    for name in (n for n in names if n and n not in done):
        items = session.items if reached is None else reached.get(mangled(name), [])
        while len(running) >= config.getoption("--jobs"):
            reap()
        failfile = out.with_name(f"{out.name}.{name}.fail")
        pid = os.fork()
        if pid == 0:
            limit = config.getoption("--per-mutant-timeout")
            os._exit(_run_one(items, name, failfile, limit) if items else 5)
        running[pid] = (name, time.time(), failfile)
    while running:
        reap()
    return True
