"""What a serving process does with the objects it built at start-up."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect what start-up left over, then keep the rest (the app, its modules, the
    models and templates: some 190,000 objects) out of the garbage collector's passes.

    They live as long as the process, yet every full collection walked all of them: one
    in five county dashboards paid 120-150 ms for it on the benchmark machine, most of
    the slowest requests (BENCHMARKS.md, "Reports"). Frozen, a full collection walks only
    what was made since, and an object dropped later is still freed by its reference
    count. `create_app` calls this outside tests, where a process builds one app; the
    test suite builds one per test and must not keep them.
    """
    gc.collect()
    gc.freeze()
