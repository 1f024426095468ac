"""The quick form has no silent category and offers to record another; the talk session
page lists the open issues of its area that wait to be discussed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from points_app.extensions import db
from points_app.issues import services
from points_app.issues.models import Issue, IssueState


def _count() -> int:
    return db.session.scalar(select(func.count(Issue.id))) or 0


def test_the_category_starts_unchosen_and_must_be_chosen(client, login_as, people, tree):
    login_as(people["grid"])
    form = client.get("/issues/new").get_data(as_text=True)
    select = form.split('name="category"', 1)[1].split("</select>", 1)[0]
    assert select.split("<option", 2)[1].startswith(' value="">')  # "please choose" first
    assert "selected" not in select
    response = client.post(
        "/issues/new",
        data={"title": "路灯坏了", "category": "", "area_id": tree["grid_a"].id,
              "channel": "grid_visit"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Choose the category." in response.get_data(as_text=True)
    assert _count() == 0


def test_after_saving_the_form_offers_to_record_another(client, login_as, people, tree):
    login_as(people["grid"])
    response = client.post(
        "/issues/new",
        data={"title": "路灯坏了", "category": "public_services", "area_id": tree["grid_a"].id,
              "channel": "grid_visit"},
        follow_redirects=True,
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert 'id="record-another" href="/issues/new"' in page
    issue = db.session.scalars(select(Issue)).one()
    assert issue.category.value == "public_services"
    later = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "record-another" not in later  # offered once, right after saving


def test_the_talk_session_page_lists_issues_waiting_in_its_area(
    client, login_as, people, tree, new_issue, issue_in, clock
):
    session = services.create_talk_session(
        actor=people["committee"], area=tree["community_a"], held_on=dt.date(2026, 3, 10),
        place="议事厅", chair="陈主任", attendees=[],
    )  # fmt: skip
    waiting = new_issue(title="楼道灯不亮")
    deliberating = issue_in(IssueState.deliberating)
    closed = issue_in(IssueState.closed)
    elsewhere = new_issue(title="别处的事", actor=people["grid_b"], area=tree["grid_b"])
    db.session.commit()
    page = login_as(people["committee"]).get(f"/issues/talks/{session.id}")
    text = page.get_data(as_text=True)
    section = text.split('id="waiting"', 1)[1].split("</section>", 1)[0]
    assert waiting.title in section and f"#{deliberating.id}" in section
    assert f"#{closed.id} " not in section and elsewhere.title not in section
