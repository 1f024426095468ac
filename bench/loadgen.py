"""Drive a server with wrk (compiled, not the bottleneck) and measure what it costs.

    from bench.loadgen import Request, run_wrk, write_lists

    lists = write_lists(folder / "hello", [[Request("GET", "/hello")]] * 2)
    result = run_wrk(base, lists, name="GET /hello", cycle=True, seconds=10)
    print(result.row())

Python prepares the requests (tokens, cards, codes, fresh Idempotency-Keys) as one list
per wrk thread, `bench/requests.lua` sends them, and Python checks the outcome in the
database afterwards. Each run reports the CPU time wrk itself used (from the kernel's
accounting of the child, `wait4`), the CPU time of the server's processes (gunicorn,
and the PostgreSQL server when there is one) and how busy the whole machine was, so a
reader can see that the load generator is not what limits the numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "requests.lua"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Request:
    """One HTTP request for a wrk list (no tabs or newlines in any field)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def line(self) -> str:
        fields = [self.method, self.path, "\x1f".join(f"{k}: {v}" for k, v in self.headers.items())]
        fields.append(self.body)
        text = "\t".join(fields)
        if "\n" in text or text.count("\t") != 3:
            raise ValueError(f"a request field holds a tab or newline: {self!r}")
        return text


def json_request(method: str, path: str, body: Any, **headers: str) -> Request:
    """A request with a compact JSON body."""
    headers = {"Content-Type": "application/json", **headers}
    return Request(method, path, headers, json.dumps(body, separators=(",", ":")))


def write_lists(prefix: Path, lists: Sequence[Iterable[Request]]) -> Path:
    """Write one request list per wrk thread (`prefix.1`, `prefix.2`, …); return prefix."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    for index, requests in enumerate(lists, start=1):
        with open(f"{prefix}.{index}", "w", encoding="utf-8") as out:
            for request in requests:
                out.write(request.line() + "\n")
    return prefix


def deal(requests: Sequence[Request], threads: int) -> list[list[Request]]:
    """Deal requests to threads like cards: thread t gets requests t, t+threads, …"""
    return [list(requests[t::threads]) for t in range(threads)]


def wrk_path() -> str:
    """The wrk binary; say how to get it when it is missing."""
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used; 0 if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:  # ppid
            found.append(int(stat.parent.name))
    return found


def process_tree_cpu(pids: Iterable[int]) -> float:
    """CPU seconds used so far by these processes and their children."""
    total = 0.0
    for pid in pids:
        total += _process_cpu(pid)
        total += sum(_process_cpu(child) for child in _children(pid))
    return total


def postgres_server_pid(port: int) -> int | None:
    """The postmaster listening on this loopback port (ours, from .ci/with-postgres)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args[0].endswith(b"/postgres") and b"-p" in args:
            at = args.index(b"-p")
            if args[at + 1 : at + 2] == [str(port).encode()]:
                return int(cmdline.parent.name)
    return None


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass
class WrkResult:
    """What one wrk run measured, and what it cost."""

    name: str
    connections: int
    threads: int
    seconds: float
    requests: int
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]
    wall: float
    wrk_cpu: float
    server_cpu: float
    machine_busy: float
    machine_cpu: float
    threads_ran_out: int
    first_failure: str | None
    loadavg: str

    @property
    def ok(self) -> int:
        """Responses with a 2xx status."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        """Non-2xx responses, and requests lost to socket errors or timeouts."""
        lost = sum(n for kind, n in self.socket_errors.items() if kind != "status")
        return self.requests - self.ok + lost

    def row(self) -> str:
        """A Markdown row; CPU as a share of one core over the run's wall time (so 200%
        is both cores of this machine), load average as it was just before."""
        return (
            f"| {self.name} | {self.connections} | {self.ok} | {self.per_second:.0f} "
            f"| {self.latency_ms['50']:.1f} | {self.latency_ms['95']:.1f} "
            f"| {self.latency_ms['99']:.1f} | {self.failures} "
            f"| {100 * self.wrk_cpu / self.wall:.0f}% "
            f"| {100 * self.server_cpu / self.wall:.0f}% "
            f"| {100 * self.machine_busy / self.machine_cpu:.0f}% | {self.loadavg} |"
        )

    HEADER = (
        "| scenario | conns | 2xx | req/s | p50 ms | p95 ms | p99 ms | failures "
        "| wrk CPU | server CPU | machine busy | load avg before |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    )

    def check(self, *, expect_status: int | None = None) -> None:
        """Raise unless every response was the expected one and no list ran out."""
        if self.threads_ran_out:
            raise RuntimeError(
                f"{self.name}: {self.threads_ran_out} wrk thread(s) ran out of requests; "
                "the rate would be understated: give longer lists"
            )
        wanted = {expect_status} if expect_status else set(range(200, 300))
        unexpected = {s: n for s, n in self.statuses.items() if s not in wanted}
        errors = {k: v for k, v in self.socket_errors.items() if v and k != "status"}
        if unexpected or errors or not self.ok:
            raise RuntimeError(
                f"{self.name}: statuses {self.statuses}, socket errors {errors}; "
                f"first failure: {self.first_failure}"
            )


def run_wrk(
    base: str,
    lists: Path,
    *,
    name: str,
    connections: int = 32,
    threads: int = 2,
    seconds: float = 10.0,
    cycle: bool = False,
    think_ms: int = 0,
    timeout: float = 10.0,
    server_pids: Sequence[int] = (),
) -> WrkResult:
    """Run wrk with bench/requests.lua over the lists at `lists` (one per thread)."""
    process = start_wrk(
        base, lists, connections=connections, threads=threads, seconds=seconds,
        cycle=cycle, think_ms=think_ms, timeout=timeout, server_pids=server_pids,
    )  # fmt: skip
    return process.finish(name=name)


@dataclass
class WrkProcess:
    """A wrk run under way (several can run at once, as in the mixed load)."""

    process: subprocess.Popen[str]
    connections: int
    threads: int
    seconds: float
    started: float
    server_before: float
    machine_before: tuple[float, float]
    load: str
    server_pids: Sequence[int]

    def finish(self, *, name: str) -> WrkResult:
        """Wait for wrk to end; return what it measured and the CPU it used."""
        pids = self.server_pids
        try:
            _pid, status, usage = os.wait4(self.process.pid, 0)
        except BaseException:
            self.process.send_signal(signal.SIGTERM)
            raise
        self.process.returncode = os.waitstatus_to_exitcode(status)
        busy_after, total_after = _machine_busy()
        server_cpu = process_tree_cpu(pids) - self.server_before if pids else 0.0
        assert self.process.stdout is not None and self.process.stderr is not None
        with self.process.stdout, self.process.stderr:
            out = self.process.stdout.read()
            err = self.process.stderr.read()
        if self.process.returncode != 0 or "WRK_JSON " not in out:
            raise RuntimeError(f"wrk failed ({self.process.returncode}):\n{out}\n{err}")
        data = json.loads(out.rsplit("WRK_JSON ", 1)[1].splitlines()[0])
        seconds = data["duration_us"] / 1e6
        return WrkResult(
            name=name,
            connections=self.connections,
            threads=self.threads,
            seconds=seconds,
            requests=int(data["requests"]),
            statuses={int(k): int(v) for k, v in data["statuses"].items()},
            socket_errors={k: int(v) for k, v in data["errors"].items()},
            latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
            wall=time.monotonic() - self.started,
            wrk_cpu=usage.ru_utime + usage.ru_stime,
            server_cpu=server_cpu,
            machine_busy=busy_after - self.machine_before[0],
            machine_cpu=total_after - self.machine_before[1],
            threads_ran_out=int(data["threads_ran_out"]),
            first_failure=data["first_failure"],
            loadavg=self.load,
        )


def start_wrk(
    base: str,
    lists: Path,
    *,
    connections: int = 32,
    threads: int = 2,
    seconds: float = 10.0,
    cycle: bool = False,
    think_ms: int = 0,
    timeout: float = 10.0,
    server_pids: Sequence[int] = (),
) -> WrkProcess:
    """Start wrk in the background; `finish()` the returned run to get its result."""
    if not base.startswith("http://127.0.0.1:"):
        raise ValueError("load goes to loopback only")
    for index in range(1, threads + 1):
        if not Path(f"{lists}.{index}").is_file():
            raise FileNotFoundError(f"{lists}.{index}: one request list per wrk thread")
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        "--latency",
        "-s",
        str(SCRIPT),
        base,
        "--",
        str(lists),
        "cycle" if cycle else "once",
        str(think_ms),
    ]
    load = loadavg()
    server_before = process_tree_cpu(server_pids) if server_pids else 0.0
    machine_before = _machine_busy()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1 << 20
    )
    return WrkProcess(
        process=process,
        connections=connections,
        threads=threads,
        seconds=seconds,
        started=time.monotonic(),
        server_before=server_before,
        machine_before=machine_before,
        load=load,
        server_pids=server_pids,
    )


def wait_until_settled(count: Any, *, settle: float = 0.3, limit: float = 15.0) -> int:
    """Call `count()` until it stops changing (requests wrk left in flight finishing)."""
    deadline = time.monotonic() + limit
    last = count()
    while time.monotonic() < deadline:
        time.sleep(settle)
        now = count()
        if now == last:
            return int(now)
        last = now
    return int(last)
