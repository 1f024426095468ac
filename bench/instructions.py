"""Instructions per dashboard request, counted by callgrind: a figure that other work on
the machine does not move, for comparing two versions of the code when timings wander.

    python -m bench.instructions URL ADMIN_ID AREA_ID [AREA_ID ...]

Runs the dashboard (the 365 days to yesterday, as `bench.reports_bench` times it) in a
child under `valgrind --tool=callgrind --instr-atstart=no`. The child signs in, makes two
warm-up requests for an area, then has counting switched on (`callgrind_control -i on`)
for RUNS requests (default 2) and off again; the count is divided by the requests. On
SQLite that is all the work; on PostgreSQL the server's share is not in it. Needs
valgrind (`apt-get install valgrind`); about a minute per area.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from bench.util import BIN, ROOT, app_env

RUNS = int(os.environ.get("RUNS", 2))


def available() -> bool:
    return bool(shutil.which("valgrind") and shutil.which("callgrind_control"))


def count(url: str, admin_id: int, area_id: int) -> float:
    """Millions of instructions per dashboard request for the area."""
    with tempfile.TemporaryDirectory(prefix="points-callgrind-") as folder:
        out = os.path.join(folder, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             str(BIN / "python"), "-m", "bench.instructions", "--child", url, str(admin_id),
             str(area_id)],
            cwd=ROOT, env=app_env(url), check=True, capture_output=True, timeout=1800,
        )  # fmt: skip
        with open(out) as f:
            total = next(int(line.split()[1]) for line in f if line.startswith("totals:"))
    return total / RUNS / 1e6


def _child(url: str, admin_id: int, area_id: int) -> None:
    from bench.reports_bench import _app, dashboard_url, signed_in_client

    app = _app(url)
    with app.app_context():
        client = signed_in_client(app, admin_id)
        page = dashboard_url(area_id)
        for _ in range(2):
            assert client.get(page).status_code == 200
        me = str(os.getpid())
        subprocess.run(["callgrind_control", "-i", "on", me], check=True, capture_output=True)
        for _ in range(RUNS):
            assert client.get(page).status_code == 200
        subprocess.run(["callgrind_control", "-i", "off", me], check=True, capture_output=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        _child(argv[1], int(argv[2]), int(argv[3]))
        return
    if not available():
        raise SystemExit("needs valgrind and callgrind_control on the PATH")
    url, admin_id, *areas = argv
    for area in areas:
        print(f"area {area}: {count(url, int(admin_id), int(area)):,.0f} M instructions a request")


if __name__ == "__main__":
    main(sys.argv[1:])
