"""Take the README's screenshots: the home page of `committee` on a phone, demo data;
with --counter, the love supermarket counter at 1280x800 (`clerk` serves a household by
the number on its card, without the card: basket, receipt, a refusal).

    .venv/bin/python docs/screenshot.py [docs/screenshot-home.png] [--lang zh|en]
    .venv/bin/python docs/screenshot.py docs/screenshot-county.png --user admin \
        --path "/reports/?period=year" --desktop
    .venv/bin/python docs/screenshot.py --counter

Builds a throwaway demo database, serves it on 127.0.0.1, signs in through the real
form in headless system Chromium (Playwright, never a downloaded browser) and saves a
390x844 PNG. Chinese text needs a CJK font (apt-get install fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.util import free_port  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "screenshot-home.png"))
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--user", default="committee")
    parser.add_argument("--path", default="", help="Page to open after signing in.")
    parser.add_argument("--desktop", action="store_true", help="1280 wide, the whole page.")
    parser.add_argument("--counter", action="store_true", help="the counter's screenshots")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    flask = [str(Path(sys.executable).parent / "flask"), "--app", "points_app"]
    with tempfile.TemporaryDirectory(prefix="points-shot-") as folder:
        env = dict(os.environ, POINTS_ENV="development", DATABASE_URL=f"sqlite:///{folder}/d.db")
        env.pop("TEST_DATABASE_URL", None)
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
        subprocess.run([*flask, "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    requests.get(base + "/healthz", timeout=1)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
                )
                options: dict[str, Any] = {**PHONE, "device_scale_factor": 1}
                if args.counter:
                    options = {**DESKTOP}
                elif args.desktop:
                    options = {"viewport": {"width": 1280, "height": 900}}
                context = browser.new_context(locale="zh-CN", **options)
                page = context.new_page()
                page.goto(f"{base}/login?lang={args.lang}")
                page.fill("input[name=login]", "clerk" if args.counter else args.user)
                page.fill("input[name=password]", "demo12345")
                with page.expect_navigation():
                    page.click("form button[type=submit]")
                if args.counter:
                    saved = counter_shots(page, base)
                else:
                    if args.path:
                        page.goto(base + args.path)
                    page.screenshot(path=args.out, full_page=args.desktop)
                    saved = [Path(args.out)]
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    for path in saved:
        print(f"saved {path} ({path.stat().st_size // 1024} KB)")


def counter_shots(page: Any, base: str) -> list[Path]:
    """The counter: a household served by the number on its card, then a refusal."""
    out = ROOT / "docs"

    page.goto(base + "/store/")
    page.click("a[href$='/counter']")
    page.fill("#code", "XS-DD-DG-H001")  # the demo's first household; its phone ends 0000
    with page.expect_navigation():
        page.press("#code", "Enter")
    page.fill("input[name=last_four]", "0000")
    with page.expect_navigation():
        page.press("input[name=last_four]", "Enter")
    page.locator("li.product .product-tap").nth(0).click()
    page.locator("li.product .qty-plus").nth(1).click()
    shots = [out / "screenshot-counter-basket.png"]
    page.screenshot(path=str(shots[0]))
    with page.expect_navigation():
        page.click("#confirm-btn")
    shots.append(out / "screenshot-counter-receipt.png")
    page.screenshot(path=str(shots[1]))
    page.fill("#code", "XS-DD-DG-H999")
    with page.expect_navigation():
        page.press("#code", "Enter")
    shots.append(out / "screenshot-counter-refusal.png")
    page.screenshot(path=str(shots[2]))
    return shots


if __name__ == "__main__":
    main()
