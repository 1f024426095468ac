"""The issue pages: moves and evaluation through forms, the resident's link, cross-area 404s."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.issues import photos, services, workflow
from points_app.issues.models import Issue, IssueState
from tests.issues.conftest import image_bytes


def _reload(issue: Issue) -> Issue:
    db.session.expire_all()
    return db.session.get(Issue, issue.id)


@pytest.fixture
def photographed(new_issue, people, photo_dir):
    prepared = photos.prepare_photo(image_bytes())
    issue = new_issue(photos=[prepared])
    photos.write_photo_files([prepared])
    return issue


@pytest.fixture
def session_a(people, tree):
    session = services.create_talk_session(
        actor=people["committee"], area=tree["community_a"], held_on=dt.date(2026, 3, 15),
        place="社区议事厅", chair="陈主任",
    )  # fmt: skip
    db.session.commit()
    return session


def test_other_communities_get_404_for_issues_sessions_and_photos(
    client, login_as, people, photographed, session_a
):
    login_as(people["committee_b"])
    photo = photographed.photos[0]
    for url in (
        f"/issues/{photographed.id}",
        f"/issues/{photographed.id}/photos/{photo.id}",
        f"/issues/talks/{session_a.id}",
        f"/issues/talks/{session_a.id}/edit",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/issues/{photographed.id}/move/deliberating",
        f"/issues/{photographed.id}/evaluation",
        f"/issues/{photographed.id}/contact",
        f"/issues/{photographed.id}/photos",
    ):
        assert client.post(url).status_code == 404, url
    assert photographed.title not in client.get("/issues/").get_data(as_text=True)


def test_a_photo_of_another_issue_is_not_served_under_this_one(
    client, login_as, people, photographed, new_issue
):
    other = new_issue(title="另一件")
    login_as(people["grid"])
    url = f"/issues/{other.id}/photos/{photographed.photos[0].id}"
    assert client.get(url).status_code == 404


def test_the_street_sees_every_community_below_it(client, login_as, people, new_issue, tree):
    a = new_issue(title="社区A的事")
    b = new_issue(title="社区B的事", actor=people["grid_b"], area=tree["grid_b"])
    page = login_as(people["street"]).get("/issues/").get_data(as_text=True)
    assert a.title in page and b.title in page


def test_a_move_through_the_form(client, login_as, people, new_issue, session_a, clock):
    issue = new_issue()
    login_as(people["committee"])
    client.post(f"/issues/{issue.id}/move/deliberating", data={"deliberating-note": "上会"})
    response = client.post(
        f"/issues/{issue.id}/move/handling",
        data={
            "handling-decision": "物业三天内清理", "handling-level": "community",
            "handling-session_id": session_a.id, "handling-note": "",
        },
    )  # fmt: skip
    assert response.status_code == 302
    issue = _reload(issue)
    assert issue.state is IssueState.handling
    assert issue.decided_session_id == session_a.id
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "物业三天内清理" in page and "Due" in page


def test_a_refused_move_shows_the_message_beside_the_field_and_keeps_the_input(
    client, login_as, people, issue_in
):
    issue = issue_in(IssueState.handling)
    login_as(people["grid"])
    response = client.post(
        f"/issues/{issue.id}/move/handling",
        data={"handling-level": "community", "handling-note": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say why the issue is passed up." in page
    assert '<option selected value="community">' in page
    assert _reload(issue).level.value == "grid"


def test_a_move_the_workflow_does_not_allow_is_refused_with_409(client, login_as, people, issue_in):
    issue = issue_in(IssueState.raised)
    response = login_as(people["committee"]).post(
        f"/issues/{issue.id}/move/evaluating", data={"evaluating-note": "done"}
    )
    assert response.status_code == 409
    assert "Cannot go from Raised to Evaluating" in response.get_data(as_text=True)


def test_evaluation_on_behalf_through_the_form(client, login_as, people, issue_in):
    issue = issue_in(IssueState.evaluating)
    login_as(people["grid"])
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "/issues/rate/" in page and "<svg" in page
    response = client.post(
        f"/issues/{issue.id}/evaluation", data={"satisfaction": "1", "solved": "no"}
    )
    assert response.status_code == 302
    issue = _reload(issue)
    assert issue.state is IssueState.handling
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "Sent back for re-handling" in page


def test_evaluating_a_closed_issue_through_the_form_is_refused(client, login_as, people, issue_in):
    issue = issue_in(IssueState.closed)
    response = login_as(people["grid"]).post(
        f"/issues/{issue.id}/evaluation", data={"satisfaction": "5", "solved": "yes"}
    )
    assert response.status_code == 409
    assert "not waiting for an evaluation" in response.get_data(as_text=True)


def test_the_resident_rates_with_their_own_link_once(client, login_as, people, issue_in):
    issue = issue_in(IssueState.evaluating)
    login_as(people["grid"])
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    link = re.search(r'href="http://localhost(/issues/rate/[^"]+)"', page).group(1)
    client.post("/logout")
    assert "How did we do?" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"satisfaction": "5", "solved": "yes", "comment": "谢谢"})
    assert "Thank you for your rating." in response.get_data(as_text=True)
    issue = _reload(issue)
    assert issue.state is IssueState.closed
    assert not issue.latest_evaluation.is_by_proxy
    again = client.post(link, data={"satisfaction": "1", "solved": "no"})
    assert again.status_code == 409
    assert len(_reload(issue).evaluations) == 1


def test_a_forged_rating_link_is_refused(client, issue_in):
    issue = issue_in(IssueState.evaluating)
    assert client.get(f"/issues/rate/{issue.id}-forged").status_code == 400


def test_merging_through_the_form_checks_the_target(client, login_as, people, new_issue, tree):
    issue = new_issue()
    elsewhere = new_issue(title="B 的事", actor=people["grid_b"], area=tree["grid_b"])
    login_as(people["grid"])
    url = f"/issues/{issue.id}/move/merged"
    hidden = client.post(url, data={"merged-merge_into": elsewhere.id})
    assert hidden.status_code == 422
    assert f"no issue #{elsewhere.id} you may see" in hidden.get_data(as_text=True)
    target = new_issue(title="原来的事")
    ok = client.post(url, data={"merged-merge_into": target.id})
    assert ok.status_code == 302
    assert _reload(issue).merged_into_id == target.id


def test_my_issues_lists_deadlines(client, login_as, people, issue_in, clock):
    issue = issue_in(IssueState.raised)
    workflow.transition(issue, "handling", actor=people["grid"], level="grid")
    db.session.commit()
    page = login_as(people["grid"]).get("/issues/mine").get_data(as_text=True)
    assert issue.title in page and "Due" in page
    clock.advance(days=10)
    page = client.get("/issues/mine").get_data(as_text=True)
    assert "Overdue since" in page
    assert "Overdue since" in client.get("/issues/").get_data(as_text=True)


def test_the_list_filters(client, login_as, people, new_issue, issue_in):
    new_issue(title="路灯坏了", category="public_services")
    issue_in(IssueState.handling)
    login_as(people["committee"])
    page = client.get("/issues/?category=public_services").get_data(as_text=True)
    assert "路灯坏了" in page and "楼道堆放杂物" not in page
    page = client.get("/issues/?state=handling").get_data(as_text=True)
    assert "路灯坏了" not in page and "楼道堆放杂物" in page
    page = client.get("/issues/?q=路灯").get_data(as_text=True)
    assert "路灯坏了" in page
    assert client.get("/issues/?state=nonsense&area=abc").status_code == 200


def test_pages_need_the_right_role(client, login_as, make_user, tree):
    volunteer = make_user("volunteer", tree["community_a"])
    login_as(volunteer)
    pages = ("/issues/", "/issues/new", "/issues/dashboard", "/issues/talks/", "/issues/resolved")
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_uploading_to_a_finished_issue_is_refused(client, login_as, people, issue_in):
    issue = issue_in(IssueState.closed)
    response = login_as(people["grid"]).post(
        f"/issues/{issue.id}/photos",
        data={"photo": (io.BytesIO(image_bytes()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409


def test_issue_page_masks_numbers_in_the_details_until_the_audited_reveal(
    client, login_as, tree, make_user
):
    from points_app.core.audit import AuditEntry
    from points_app.issues.services import raise_issue as raise_one

    committee = make_user(Role.committee, tree["community_a"])
    issue = raise_one(
        actor=committee, area=tree["community_a"], title="求助", category="other",
        description="王五说电话139-8765-4321", resident_name="王五", resident_phone="13987654321",
    )  # fmt: skip
    db.session.commit()
    login_as(committee)

    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "139-8765-4321" not in page and "王五" not in page and "139****4321" in page

    revealed = client.post(f"/issues/{issue.id}/contact").get_data(as_text=True)
    assert "王五说电话139-8765-4321" in revealed
    actions = db.session.scalars(db.select(AuditEntry.action)).all()
    assert "issue.reveal_contact" in actions
