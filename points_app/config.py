"""Configuration classes, read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from points_app.core.crypto import DEVELOPMENT_KEY

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = (
        normalise_database_url(os.environ["DATABASE_URL"])
        if os.environ.get("DATABASE_URL")
        else None
    )
    # create_app adds hide_parameters to whatever options a config gives: a database error
    # in the log names the statement, never the values (a resident's phone) bound into it.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True, "hide_parameters": True}
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 90
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    DEMO_MODE = False
    TESTING = False
    PAGE_SIZE = 30
    # Behind a load balancer: how many proxies in front of the app set X-Forwarded-For
    # and X-Forwarded-Proto (0: trust none, use the socket's address).
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0") or 0)
    # Strict-Transport-Security max-age; 0 sends no HSTS header (production sets a year).
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "0") or 0)
    # Encrypts ID numbers and phones at rest (core/crypto.py); older keys, comma-separated,
    # only decrypt, while `flask rotate-key` re-encrypts with the current one.
    DATA_KEY: str | None = os.environ.get("POINTS_DATA_KEY")
    DATA_KEYS_OLD: str = os.environ.get("POINTS_DATA_KEY_OLD", "")


class DevConfig(Config):
    """Local development on the embedded SQLite database."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    DATA_KEY = os.environ.get("POINTS_DATA_KEY") or DEVELOPMENT_KEY
    SQLALCHEMY_DATABASE_URI = Config.SQLALCHEMY_DATABASE_URI or (
        f"sqlite:///{INSTANCE_DIR / 'points.db'}"
    )
    DEMO_MODE = True


class TestConfig(Config):
    """The test suite: SQLite file per test unless TEST_DATABASE_URL names PostgreSQL."""

    TESTING = True
    SECRET_KEY = "test-secret"
    DATA_KEY = DEVELOPMENT_KEY
    DATA_KEYS_OLD = ""
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    DEMO_MODE = True
    BABEL_DEFAULT_LOCALE = "en"


class ProductionConfig(Config):
    """Production: refuses to start without a secret key, a database URL and a data key."""

    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 60 * 60)) or 0)

    @classmethod
    def check(cls) -> None:
        """Raise if the environment lacks what production needs."""
        missing = [
            name
            for name, value in (
                ("SECRET_KEY", os.environ.get("SECRET_KEY")),
                ("DATABASE_URL", os.environ.get("DATABASE_URL")),
                ("POINTS_DATA_KEY", os.environ.get("POINTS_DATA_KEY")),
            )
            if not value
        ]
        if missing:
            raise RuntimeError(
                "ProductionConfig needs these environment variables: " + ", ".join(missing)
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
