"""The benchmark harness: wrk drives gunicorn on loopback, and every answer is counted."""

from __future__ import annotations

import shutil

import pytest
import requests

from bench.loadgen import Request, WrkResult, deal, json_request, run_wrk, write_lists
from bench.util import fresh_database, gunicorn
from tests.conftest import ON_POSTGRES

pytestmark = [
    pytest.mark.skipif(ON_POSTGRES, reason="harness check runs once, on SQLite"),
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
]


def test_wrk_measures_the_server_counts_each_status_and_the_server_stops(tmp_path):
    with fresh_database("sqlite") as url, gunicorn(url, workers=1) as server:
        assert server.startswith("http://127.0.0.1:")
        hello = write_lists(tmp_path / "hello", [[Request("GET", "/hello")]])
        result = run_wrk(
            server, hello, name="hello", connections=2, threads=1, seconds=1, cycle=True,
            server_pids=[server.pid],
        )  # fmt: skip
        # Each request once: two good ones and one refused, so no status is hidden.
        mixed = [
            Request("GET", "/hello"),
            Request("GET", "/no-such-page"),
            Request("GET", "/hello"),
        ]
        once = write_lists(tmp_path / "once", [mixed + [Request("GET", "/healthz")] * 2000])
        counted = run_wrk(server, once, name="once", connections=1, threads=1, seconds=1)
    assert result.requests == result.ok == result.statuses[200] > 0
    assert result.failures == 0
    assert result.latency_ms["50"] <= result.latency_ms["95"] <= result.latency_ms["99"]
    assert result.wrk_cpu > 0 and result.server_cpu > 0 and result.wall >= 1
    result.check(expect_status=200)
    assert result.row().startswith("| hello | 2 |")
    assert WrkResult.HEADER.splitlines()[0].count("|") == result.row().count("|")

    assert counted.statuses[404] == 1 and counted.failures == 1
    with pytest.raises(RuntimeError, match="404"):
        counted.check(expect_status=200)
    with pytest.raises(requests.ConnectionError):
        requests.get(server + "/hello", timeout=2)


def test_a_thread_that_runs_out_of_requests_makes_the_run_invalid(tmp_path):
    with fresh_database("sqlite") as url, gunicorn(url, workers=1) as server:
        short = write_lists(tmp_path / "short", [[Request("GET", "/hello")] * 3])
        result = run_wrk(server, short, name="short", connections=1, threads=1, seconds=1)
    assert result.threads_ran_out == 1
    with pytest.raises(RuntimeError, match="ran out"):
        result.check(expect_status=200)


def test_requests_are_dealt_to_threads_and_written_one_a_line(tmp_path):
    requests_ = [
        json_request("POST", "/x", {"n": n}, Authorization=f"Bearer t{n}") for n in range(5)
    ]
    dealt = deal(requests_, 2)
    assert [len(d) for d in dealt] == [3, 2]
    write_lists(tmp_path / "l", dealt)
    lines = (tmp_path / "l.1").read_text().splitlines()
    assert (
        lines[1] == 'POST\t/x\tContent-Type: application/json\x1fAuthorization: Bearer t2\t{"n":2}'
    )
    with pytest.raises(ValueError):
        Request("GET", "/a\tb").line()


def _result(name: str, ok: int, seconds: float = 10.0) -> WrkResult:
    return WrkResult(
        name=name, connections=32, threads=2, seconds=seconds, requests=ok,
        statuses={201: ok}, socket_errors={"timeout": 0}, latency_ms={"50": 1, "95": 2, "99": 3},
        wall=seconds, wrk_cpu=0.1, server_cpu=1.0, machine_busy=1.0, machine_cpu=2.0,
        threads_ran_out=0, first_failure=None, loadavg="1 1 1",
    )  # fmt: skip


def test_a_scenario_reports_its_ratio_to_hello_and_the_rows_written_in_flight():
    from bench.scenario import Outcome

    outcome = Outcome(hello=_result("hello", 2000), result=_result("x", 400), rows=410)
    assert outcome.ratio == pytest.approx(0.2)
    assert outcome.in_flight == 10
    with pytest.raises(RuntimeError, match="201"):
        _result("x", 5).check(expect_status=200)
