"""Configuration: production refuses to start half-configured; database URLs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from points_app import create_app
from points_app.config import ProductionConfig, normalise_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({}, ["SECRET_KEY", "DATABASE_URL", "POINTS_DATA_KEY"]),
        ({"SECRET_KEY": "s3cret"}, ["DATABASE_URL", "POINTS_DATA_KEY"]),
        ({"DATABASE_URL": "postgresql://u@db/points"}, ["SECRET_KEY", "POINTS_DATA_KEY"]),
        ({"SECRET_KEY": "s3cret", "DATABASE_URL": "postgresql://u@db/points"}, ["POINTS_DATA_KEY"]),
    ],
)
def test_production_refuses_to_start_without_secret_key_database_url_and_data_key(
    monkeypatch, present, missing
):
    for name in ("SECRET_KEY", "DATABASE_URL", "POINTS_DATA_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in present.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(RuntimeError) as refused:
        create_app(ProductionConfig)

    message = str(refused.value)
    for name in missing:
        assert name in message
    for name in present:
        assert name not in message


def test_points_env_production_is_checked_too(monkeypatch):
    monkeypatch.setenv("POINTS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_both_and_uses_them(tmp_path):
    # A new interpreter: the config classes read the environment when first imported.
    script = (
        "import json; from points_app import create_app; app = create_app();"
        "print(json.dumps({k: app.config[k] for k in ("
        "'SECRET_KEY', 'SQLALCHEMY_DATABASE_URI', 'SESSION_COOKIE_SECURE', 'DEMO_MODE',"
        "'TESTING', 'DEBUG')}))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TEST_DATABASE_URL", "SESSION_COOKIE_SECURE")
    }
    env.update(
        POINTS_ENV="production",
        SECRET_KEY="a-long-production-secret",
        DATABASE_URL="postgres://points@db.internal:5432/points",
        POINTS_DATA_KEY="cHJvZHVjdGlvbi1kYXRhLWtleS1mb3ItdGhpcy10ZXM=",
        PYTHONWARNINGS="error",
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout.strip().splitlines()[-1])
    assert config == {
        "SECRET_KEY": "a-long-production-secret",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://points@db.internal:5432/points",
        "SESSION_COOKIE_SECURE": True,
        "DEMO_MODE": False,
        "TESTING": False,
        "DEBUG": False,
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql+psycopg://u@h/db?sslmode=require"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:////srv/points/points.db", "sqlite:////srv/points/points.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalise_database_url_points_postgresql_at_psycopg_3(given, expected):
    assert normalise_database_url(given) == expected


def test_client_address_comes_from_trusted_proxies_only_when_configured():
    from flask import request

    from points_app import create_app
    from points_app.config import TestConfig

    def remote_addr(hops: int) -> str:
        class Cfg(TestConfig):
            TRUSTED_PROXY_HOPS = hops

        app = create_app(Cfg)
        app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr or "")
        response = app.test_client().get(
            "/whoami",
            headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        return response.get_data(as_text=True)

    assert remote_addr(0) == "10.0.0.2"
    assert remote_addr(1) == "203.0.113.7"


def test_a_serving_app_keeps_its_startup_objects_out_of_the_collector_and_a_test_app_does_not():
    import gc

    from points_app.config import TestConfig

    gc.unfreeze()
    try:
        create_app(TestConfig)
        assert gc.get_freeze_count() == 0  # the suite builds an app per test: none kept

        class Serving(TestConfig):
            TESTING = False

        create_app(Serving)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
