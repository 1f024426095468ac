"""The report pages: dashboard, comparison, lists behind figures, contributions, exports."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event, select

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry
from points_app.extensions import db
from points_app.reports import exports

MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def street_user(county: dict[str, Any], make_user: Any) -> Any:
    return make_user(Role.committee, county["street"], username="street")


@pytest.fixture
def committee_b(county: dict[str, Any], make_user: Any) -> Any:
    return make_user(Role.committee, county["community_b"], username="committee_b")


def test_street_dashboard_compares_its_communities(
    march: Any, county: dict[str, Any], street_user: Any, login_as: Any
) -> None:
    page = login_as(street_user).get("/reports/", query_string=MARCH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-figure="issues_resolved" href="/reports/list/issues?filter=resolved' in html
    assert html.index('data-community="S-a"') < html.index('data-community="S-b"')
    assert "<svg" in html and len(page.data) < 300_000
    by_overdue = login_as(street_user).get(
        "/reports/", query_string={**MARCH, "sort": "issues_overdue"}
    )
    html = by_overdue.get_data(as_text=True)
    assert html.index('data-community="S-b"') < html.index('data-community="S-a"')


def test_an_area_outside_the_users_is_404(
    march: Any, county: dict[str, Any], committee_b: Any, login_as: Any
) -> None:
    client = login_as(committee_b)
    assert client.get("/reports/").status_code == 200
    other = {"area": county["community_a"].id}
    assert client.get("/reports/", query_string=other).status_code == 404
    assert client.get("/reports/contributions", query_string=other).status_code == 404
    assert client.get("/reports/export/issues.csv", query_string=other).status_code == 404


def test_a_reversed_or_overlong_range_says_so(march: Any, street_user: Any, login_as: Any) -> None:
    client = login_as(street_user)
    bad = client.get("/reports/", query_string={**MARCH, "start": "2026-04-01"})
    assert bad.status_code == 422 and "before the start" in bad.get_data(as_text=True)
    long = client.get("/reports/", query_string={**MARCH, "start": "2000-01-01"})
    assert long.status_code == 422
    garbage = client.get("/reports/", query_string={**MARCH, "start": "yesterday"})
    assert garbage.status_code == 422


def test_the_list_behind_a_figure_shows_its_rows(
    march: Any, county: dict[str, Any], street_user: Any, login_as: Any
) -> None:
    client = login_as(street_user)
    page = client.get("/reports/list/mediations", query_string={**MARCH, "filter": "settled"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026-03-20" in html and "2026-03-10" not in html
    assert client.get("/reports/list/nope", query_string=MARCH).status_code == 404
    assert client.get("/reports/list/issues?filter=nope").status_code == 404


def test_contributions_page_groups_party_members_by_work_unit(
    march: Any, street_user: Any, login_as: Any
) -> None:
    html = login_as(street_user).get("/reports/contributions", query_string=MARCH)
    text = html.get_data(as_text=True)
    assert "县供电公司" in text and "A志愿队" in text
    i1, i2 = march["issues"][:2]
    assert f'href="/issues/{i1.id}/review"' in text and f'href="/issues/{i2.id}/review"' in text


def test_xlsx_export_matches_the_page_and_is_audited(
    march: Any, county: dict[str, Any], street_user: Any, login_as: Any
) -> None:
    with login_as(street_user).get("/reports/export/figures.xlsx", query_string=MARCH) as reply:
        assert reply.status_code == 200
        data = reply.data
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    assert [r[0] for r in rows[1:4]] == ["社区A", "社区B", "社区C"]
    resolved = rows[0].index("Issues resolved")
    assert [r[resolved] for r in rows[1:]] == [2, 0, 0, 2]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")).one()
    assert entry.actor_id == street_user.id and entry.detail["rows"] == 4
    assert entry.detail["via"] == "page" and entry.detail["filter"] == ""


def test_csv_export_masks_names_for_roles_that_may_not_see_them(
    march: Any, county: dict[str, Any], make_user: Any, login_as: Any
) -> None:
    organiser = make_user(Role.admin, county["county"], username="admin")
    reply = login_as(organiser).get("/reports/export/redemptions.csv", query_string=MARCH)
    assert "王英" in reply.get_data(as_text=True)  # admin may see households' data
    db.session.commit()


def test_an_export_too_large_for_the_page_points_to_the_cli(
    march: Any, street_user: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "PAGE_LIMIT", 2)
    reply = login_as(street_user).get("/reports/export/attendances.csv", query_string=MARCH)
    assert reply.status_code == 413
    assert "report export attendances --area S" in reply.get_data(as_text=True)


def _statements(client: Any, url: str) -> int:
    seen: list[str] = []

    def listen(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert client.get(url, query_string=MARCH).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return len(seen)


@pytest.mark.parametrize("url", ["/reports/", "/reports/contributions"])
def test_page_statements_do_not_grow_with_the_data(
    county: dict[str, Any], street_user: Any, login_as: Any, request: Any, url: str
) -> None:
    client = login_as(street_user)
    request.getfixturevalue("march")
    before = _statements(client, url)
    _more_of_the_same(county)
    assert _statements(client, url) == before


def _more_of_the_same(county: dict[str, Any]) -> None:
    """Another community's worth of the March rows: more volunteers, issues, links."""
    import datetime as dt

    from points_app.events.models import Attendance, AttendanceStatus, Event, EventIssue, EventKind
    from points_app.issues.models import Issue as IssueModel
    from points_app.issues.models import IssueCategory, IssueChannel, IssueState
    from points_app.people.models import Volunteer
    from points_app.people.units import unit_for

    start = dt.datetime(2026, 3, 12, 2, 0, tzinfo=dt.UTC)
    for n in range(5):
        v = Volunteer(real_name=f"新人{n}", phone=f"1380000{n:04d}",
                      home_community=county["community_c"], is_party_member=n % 2 == 0,
                      unit=unit_for(county["community_c"], f"单位{n}"))  # fmt: skip
        e = Event(title=f"e{n}", kind=EventKind.volunteer, area=county["community_c"],
                  starts_at=start, ends_at=start + dt.timedelta(hours=2))  # fmt: skip
        i = IssueModel(title=f"i{n}", category=IssueCategory.other,
                       channel=IssueChannel.online, area=county["community_c"],
                       state=IssueState.closed, created_at=start, closed_at=start)  # fmt: skip
        db.session.add_all([v, e, i])
        db.session.flush()
        db.session.add_all([
            Attendance(event=e, volunteer=v, status=AttendanceStatus.approved,
                       checked_in_at=start, minutes=60, points_awarded=1),
            EventIssue(event_id=e.id, issue_id=i.id),
        ])  # fmt: skip
    db.session.commit()
