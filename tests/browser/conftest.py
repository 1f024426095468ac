"""Browser tests: the app on a real HTTP server, driven by Debian's headless Chromium.

Playwright (the Python package) drives the Chromium that the system has installed; it
never downloads a browser of its own. Without Chromium the tests are skipped locally
with a clear reason, but under CI (CI=true) they fail: a browser test that CI quietly
skips is a test nobody runs.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A fake camera that needs no prompt: the camera pages can be opened as on a phone.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
    ),
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TIMEOUT_MS = 15_000


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str) -> None:
    """Skip the test, or fail it under CI where the browser must be there."""
    if _on_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    """Find the system Chromium: CHROMIUM_PATH, then the usual names on PATH."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/browser is a browser test, marked or not.
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


class LiveServer:
    """The app served over HTTP on 127.0.0.1 from a background thread."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __call__(self, path: str = "/") -> str:
        """Return the absolute URL of a path on this server."""
        return self.url + path


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve the test's app (and so the test's database) at a free port on 127.0.0.1.

    As in production, CSRF protection is on (so forms are exercised for real) and
    Chinese is the default language (the browser asks for zh-CN too).
    """
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extras install it
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(_playwright: Any) -> Iterator[Any]:
    """Headless system Chromium, one per test session."""
    path = chromium_path()
    if path is None:
        _missing("Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)")
    chromium = _playwright.chromium.launch(
        executable_path=path, headless=True, args=CHROMIUM_ARGS, timeout=60_000
    )
    try:
        yield chromium
    finally:
        chromium.close()


def _page(browser: Any, options: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # The app sends a strict Content-Security-Policy: whatever it blocks is a bug.
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A fresh page in a phone-sized, touch, mobile browser context."""
    yield from _page(browser, PHONE)


@pytest.fixture
def desktop_page(browser: Any) -> Iterator[Any]:
    """A fresh page in a laptop-sized browser context."""
    yield from _page(browser, DESKTOP)


@pytest.fixture
def sign_in(live_server: LiveServer) -> Callable[..., None]:
    """Sign in through the real login form: sign_in(page, "username", "password")."""

    def do_sign_in(page: Any, login: str, password: str) -> None:
        page.goto(live_server("/login"))
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        if page.url.rstrip("/").endswith("/login") or "/login?" in page.url:
            raise AssertionError(f"sign-in as {login!r} failed: still on {page.url}")

    return do_sign_in
