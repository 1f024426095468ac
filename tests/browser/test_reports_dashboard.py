"""A street user reads the reports: switches the period, compares two communities and
downloads the figures as XLSX, which must say what the page says."""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest

from points_app.accounts.models import Role
from points_app.reports.figures import FIGURES
from tests.conftest import PASSWORD
from tests.reports.conftest import county, march  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def street_user(county: dict[str, Any], make_user: Any) -> Any:  # noqa: F811
    return make_user(Role.committee, county["street"], username="street_he")


def _table(page: Any) -> dict[str, dict[str, str]]:
    """The comparison table as {community code: {figure: text}}."""
    return page.eval_on_selector_all(
        "#comparison tbody tr",
        """rows => Object.fromEntries(rows.map(r => [r.dataset.community,
            Object.fromEntries([...r.querySelectorAll('td')].map(td =>
                [td.dataset.key, td.textContent.trim()]))]))""",
    )


def test_street_user_compares_communities_and_downloads_what_the_page_shows(
    march: Any,  # noqa: F811
    street_user: Any,
    live_server: Any,
    desktop_page: Any,
    sign_in: Any,
    tmp_path: Any,
) -> None:
    page = desktop_page
    sign_in(page, "street_he", PASSWORD)
    page.goto(live_server("/reports/"))
    assert page.locator("#comparison").is_visible()

    # Switch the period to March 2026 (this month has nothing yet).
    page.check("input[name=period][value=custom]")
    page.fill("input[name=start]", "2026-03-01")
    page.fill("input[name=end]", "2026-03-31")
    with page.expect_navigation():
        page.click(".report-picker button[type=submit]")
    resolved = page.locator("[data-figure=issues_resolved] strong").inner_text()
    assert resolved == "2"

    table = _table(page)
    assert set(table) == {"S-a", "S-b", "S-c"}
    assert table["S-a"]["issues_resolved"] == "2" and table["S-b"]["issues_overdue"] == "1"
    # Sort by overdue issues: B comes first.
    with page.expect_navigation():
        page.click("#comparison a[data-sort=issues_overdue]")
    order = page.eval_on_selector_all(
        "#comparison tbody tr", "rows => rows.map(r => r.dataset.community)"
    )
    assert order[0] == "S-b"

    with page.expect_download() as info:
        page.click("a[href*='/reports/export/figures.xlsx']")
    path = tmp_path / "figures.xlsx"
    info.value.save_as(path)
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    names = {"社区A": "S-a", "社区B": "S-b", "社区C": "S-c"}
    for row in rows[1:-1]:
        shown = table[names[row[0]]]
        for key, value in zip(FIGURES, row[1:], strict=True):
            if value in (None, ""):
                assert shown[key] == "—", (row[0], key)
            else:
                assert float(shown[key]) == float(value), (row[0], key)
    total = dict(zip(FIGURES, rows[-1][1:], strict=True))
    assert str(total["issues_resolved"]) == resolved


def test_dashboard_fits_a_phone_and_stays_light(
    march: Any,  # noqa: F811
    street_user: Any,
    live_server: Any,
    phone_page: Any,
    sign_in: Any,
) -> None:
    page = phone_page
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, "street_he", PASSWORD)
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if r.ok else None)
    page.goto(live_server("/reports/?period=custom&start=2026-03-01&end=2026-03-31"))
    page.wait_for_load_state("networkidle")
    assert sum(sizes) < 300_000
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
