"""The benchmark harness starts gunicorn on loopback, measures, and cleans up."""

from __future__ import annotations

import pytest
import requests

from bench.util import Result, fresh_database, gunicorn, load
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="harness check runs once, on SQLite")


def test_harness_serves_measures_and_stops():
    with fresh_database("sqlite") as url, gunicorn(url, workers=1) as base:
        assert base.startswith("http://127.0.0.1:")
        result = load(
            lambda session: session.get(base + "/hello", timeout=5),
            name="hello",
            clients=2,
            seconds=0.5,
            max_requests=200,
            warmup=0.1,
        )
    assert result.errors == 0
    assert 0 < result.requests <= 200
    assert result.statuses == {200: result.requests}
    assert result.percentile(50) <= result.percentile(95) <= result.percentile(99)
    assert result.row().startswith("| hello | 2 |")
    assert Result.HEADER.splitlines()[0].count("|") == result.row().count("|")
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/hello", timeout=2)
