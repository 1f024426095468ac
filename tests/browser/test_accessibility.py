"""axe-core (npm, pinned in package-lock.json) over the main pages of each role, in
Chinese, in a real Chromium: no serious or critical violation is allowed.

Each demo user signs in and opens the pages their navigation and home page link to
(plus, for the clerk, the counter, a basket and a receipt); axe is injected from
node_modules by Playwright, so no page ever ships it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from points_app.cli.demo import DEMO_PASSWORD, load_demo
from points_app.events.models import Event, Project
from points_app.extensions import db
from points_app.ledger.models import Account
from points_app.people.models import Household
from points_app.store import services
from points_app.store.models import Store

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ("admin", "committee", "organiser", "gridworker", "clerk", "volunteer")
PAGES_PER_ROLE = 14
BLOCKING = ("serious", "critical")
SKIP = ("/logout", "/lang/", "/static/", "/export", ".csv", "/print", "/q/")


@pytest.fixture
def demo(app: Any) -> dict[str, Any]:
    load_demo()
    db.session.commit()
    store = db.session.scalars(select(Store).order_by(Store.id)).first()
    household = db.session.scalars(
        select(Household).where(Household.community_id == store.community_id)
    ).first()
    assert store is not None and household is not None
    event = db.session.scalars(select(Event).order_by(Event.id)).first()
    project = db.session.scalars(select(Project).order_by(Project.id)).first()
    account = db.session.scalars(
        select(Account).where(Account.household_id == household.id)
    ).first()
    # Pages one link deeper than the crawl reaches within its cap: each role's own work.
    deeper = {
        "organiser": [
            f"/events/{event.id}" if event else "", f"/projects/{project.id}" if project else "",
        ],
        "committee": [
            f"/ledger/accounts/{account.id}" if account else "", "/issues/dashboard",
            "/issues/talks/",
        ],
    }  # fmt: skip
    found = {
        "store": store.id, "card": services.household_card_token(household),
        "deeper": {role: [url for url in urls if url] for role, urls in deeper.items()},
    }  # fmt: skip
    db.session.rollback()
    return found


def _axe_file() -> Path:
    if not AXE.exists():
        reason = "node_modules/axe-core is missing: run make install (npm ci)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE


# label-content-name-mismatch is off by default (experimental); buttons whose spoken
# name differs from their visible text trip up voice control, so it runs here.
AXE_RUN = """() => axe.run(document, {
  resultTypes: ['violations'],
  rules: {'label-content-name-mismatch': {enabled: true}}
}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)
})))"""
REPORT: list[str] = []


# axe-core is loaded as a same-origin script file (the browser serves it from the test's
# route), so the pages' Content-Security-Policy, which forbids inline script, stays as it is.
AXE_URL = "/__test__/axe.min.js"


def _serve_axe(page: Any) -> None:
    axe = _axe_file()
    page.route(
        f"**{AXE_URL}",
        lambda route: route.fulfill(path=str(axe), content_type="application/javascript"),
    )


def _violations(page: Any) -> list[str]:
    parts = urlsplit(page.url)
    page.add_script_tag(url=f"{parts.scheme}://{parts.netloc}{AXE_URL}")
    results = page.evaluate(AXE_RUN)
    path = urlsplit(page.url).path
    lines = [f"{path}: {v['id']} ({v['impact']}) at {', '.join(v['nodes'])}" for v in results]
    REPORT.extend(lines)
    return [line for line, v in zip(lines, results, strict=True) if v["impact"] in BLOCKING]


def _shape(url: str) -> str:
    """A page's kind: /events/12 and /events/13 are the same page to check."""
    parts = urlsplit(url).path.split("/")
    return "/".join("<id>" if part.isdigit() else part for part in parts)


def _links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    found = []
    for href in hrefs:
        if not href or not href.startswith("/") or href.startswith("//"):
            continue
        if any(part in href for part in SKIP):
            continue
        url = base + href.split("#")[0]
        if url not in found:
            found.append(url)
    return found


def test_the_main_pages_of_each_role_have_no_serious_accessibility_violation(
    live_server, desktop_page, sign_in, demo
):
    page = desktop_page
    _serve_axe(page)
    problems: list[str] = []
    seen: set[str] = set()
    for username in ROLES:
        page.context.clear_cookies()
        sign_in(page, username, DEMO_PASSWORD)
        problems += _violations(page)
        # The pages the home page links to, then the pages those link to, up to a cap.
        queue = [live_server(path) for path in demo["deeper"].get(username, [])]
        queue += _links(page, live_server.url)
        visited = 0
        while queue and visited < PAGES_PER_ROLE:
            url = queue.pop(0)
            key = f"{username} {_shape(url)}"
            if key in seen:
                continue
            seen.add(key)
            response = page.goto(url)
            if response is None or response.status >= 400:
                continue
            visited += 1
            problems += [f"{username} {line}" for line in _violations(page)]
            queue += [link for link in _links(page, live_server.url) if link not in queue]
        if username == "clerk":
            page.goto(live_server(f"/store/{demo['store']}/counter"))
            problems += [f"clerk {line}" for line in _violations(page)]
            page.fill("#code", demo["card"])
            with page.expect_navigation():
                page.press("#code", "Enter")
            problems += [f"clerk basket {line}" for line in _violations(page)]
            page.locator("li.product:not(.none-left) .product-tap").first.click()
            with page.expect_navigation():
                page.click("#confirm-btn")
            problems += [f"clerk receipt {line}" for line in _violations(page)]
    print("\n".join(["axe, every impact:", *REPORT]))
    assert len(seen) >= 40, f"too few pages checked: {sorted(seen)}"
    assert not problems, "\n".join(problems)
