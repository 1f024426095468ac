"""Contributions: events linked to an issue, who served, hours and points, on the review pages."""

from __future__ import annotations

import datetime as dt

import pytest

from points_app.events import services as events
from points_app.events.models import EventKind, PointsRule
from points_app.events.projects import claim_project, publish_project
from points_app.extensions import db
from points_app.issues import queries, workflow
from points_app.issues.models import IssueState
from points_app.people.models import Membership, Organisation, OrganisationKind, Volunteer

START = dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def served(tree, people, issue_in, clock):
    """A closed issue served by two events (one run by a project), plus noise around it."""
    a = tree["community_a"]
    team = Organisation(name="红帆志愿服务队", kind=OrganisationKind.volunteer_team, area=a)
    social = Organisation(name="善园社工", kind=OrganisationKind.social_organisation, area=a)
    v1 = Volunteer(real_name="张伟", phone="13900000001", home_community=a)
    v2 = Volunteer(real_name="李娜", phone="13900000002", home_community=a)
    v3 = Volunteer(real_name="王五", phone="13900000003", home_community=a)
    db.session.add_all([team, social, v1, v2, v3])
    db.session.flush()
    db.session.add(Membership(organisation=team, volunteer=v1))
    organiser = people["committee"]
    project = publish_project(title="楼道整治", area=a, budget_points=100, actor=organiser)
    claim_project(project, social, actor=organiser)

    issue = issue_in(IssueState.closed)
    other_issue = issue_in(IssueState.raised)

    def event(title, project=None, issue_ids=(issue.id,), value=1):
        return events.create_event(
            events.EventData(
                title=title, kind=EventKind.volunteer, area=a, starts_at=START,
                ends_at=START + dt.timedelta(hours=4), points_rule=PointsRule.per_hour,
                points_value=value, project=project, issue_ids=issue_ids,
            ),
            actor=organiser,
        )  # fmt: skip

    def attend(ev, volunteer, minutes, approve=True):
        attendance = events.add_manual_attendance(ev, volunteer, minutes, actor=organiser)
        if approve:
            events.approve_attendance(attendance, actor=organiser)

    cleanup = event("清理楼道", value=2)
    attend(cleanup, v1, 90)  # 2 started hours x 2 = 4 points
    attend(cleanup, v2, 60)  # 2 points
    attend(cleanup, v3, 60, approve=False)  # pending: not counted
    by_project = event("楼道刷漆", project=project)
    attend(by_project, v1, 120)  # 2 points
    cancelled = event("取消的活动")
    attend(cancelled, v2, 60)
    cancelled.is_cancelled = True
    elsewhere = event("别的事", issue_ids=(other_issue.id,))
    attend(elsewhere, v1, 60)
    db.session.commit()
    return issue


def test_contributions_count_only_approved_service_at_linked_events(served):
    result = queries.contributions(served)
    assert [e.title for e in result.events] == ["清理楼道", "楼道刷漆"]
    assert [(p.name, p.hours, p.points, p.organisation) for p in result.people] == [
        ("张伟", 3.5, 6, "红帆志愿服务队"),
        ("李娜", 1.0, 2, ""),
    ]
    assert (result.hours, result.points) == (4.5, 8)
    assert [(o.name, o.hours, o.points) for o in result.organisations] == [
        ("红帆志愿服务队", 3.5, 6),
        ("善园社工", 2.0, 2),
    ]


def test_contribution_totals_per_issue(served, issue_in):
    lonely = issue_in(IssueState.closed)
    totals = queries.contribution_totals([served.id, lonely.id])
    assert totals == {
        served.id: queries.ContributionTotals(events=2, people=2, hours=4.5, points=8)
    }


def test_the_review_page_shows_contributions_stages_and_the_rating(
    client, login_as, people, served
):
    page = login_as(people["committee"]).get(f"/issues/{served.id}/review").get_data(as_text=True)
    assert "Events: 2" in page and "People: 2" in page
    assert "Hours: 4.5" in page and "Points: 8" in page
    assert "3.5 h · 6 points" in page
    assert "张伟" in page and "红帆志愿服务队" in page and "善园社工" in page
    assert "物业清理" in page  # the decision
    assert "★★★★★" in page
    assert "Time at each stage" in page


def test_the_issue_page_shows_the_points_awarded_through_its_events(
    client, login_as, people, served
):
    page = login_as(people["grid"]).get(f"/issues/{served.id}").get_data(as_text=True)
    assert "Points: 8" in page


def test_the_review_needs_report_rights_in_the_area(client, switch_to, people, served, make_user):
    assert switch_to(people["grid"]).get(f"/issues/{served.id}/review").status_code == 404
    assert switch_to(people["committee_b"]).get(f"/issues/{served.id}/review").status_code == 404
    assert switch_to(people["street"]).get(f"/issues/{served.id}/review").status_code == 200


def test_an_unfinished_issue_has_no_review(client, login_as, people, issue_in):
    issue = issue_in(IssueState.handling)
    assert login_as(people["committee"]).get(f"/issues/{issue.id}/review").status_code == 404


def test_the_resolved_list_has_totals_and_filters(
    client, switch_to, people, served, new_issue, tree, clock
):
    other = new_issue(title="B 的路灯", actor=people["grid_b"], area=tree["grid_b"],
                      category="public_services")  # fmt: skip
    workflow.transition(other, "handling", actor=people["street"], level="grid")
    workflow.transition(other, "evaluating", actor=people["street"], note="修好了")
    workflow.evaluate_issue(other, actor=people["street"], satisfaction=4, solved=True)
    db.session.commit()
    switch_to(people["street"])
    page = client.get("/issues/resolved").get_data(as_text=True)
    assert served.title in page and "B 的路灯" in page
    assert "<td>4.5</td><td>8</td>" in page
    page = client.get(f"/issues/resolved?area={tree['community_b'].id}").get_data(as_text=True)
    assert served.title not in page and "B 的路灯" in page
    page = client.get("/issues/resolved?category=environment").get_data(as_text=True)
    assert served.title in page and "B 的路灯" not in page
    page = client.get("/issues/resolved?start=2026-04-01").get_data(as_text=True)
    assert served.title not in page
    page = client.get("/issues/resolved?start=2026-03-01&end=2026-03-31").get_data(as_text=True)
    assert served.title in page
    switch_to(people["committee"])
    page = client.get("/issues/resolved").get_data(as_text=True)
    assert "B 的路灯" not in page


def test_time_spent_at_each_stage(clock, new_issue, people):
    issue = new_issue()
    clock.advance(days=1)
    workflow.transition(issue, "deliberating", actor=people["committee"])
    clock.advance(days=2)
    workflow.transition(issue, "handling", actor=people["committee"], decision="办", level="grid")
    clock.advance(hours=5)
    workflow.transition(issue, "handling", actor=people["grid"], level="community", note="升级")
    clock.advance(days=1)
    workflow.transition(issue, "evaluating", actor=people["organiser"], note="办好了")
    clock.advance(hours=2)
    workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=2, solved=True)
    clock.advance(hours=3)
    workflow.transition(issue, "evaluating", actor=people["organiser"], note="又办了")
    clock.advance(hours=1)
    workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=5, solved=True)
    db.session.commit()
    per_stage = dict(queries.time_per_stage(issue, issue.closed_at))
    assert per_stage == {
        IssueState.raised: dt.timedelta(days=1),
        IssueState.deliberating: dt.timedelta(days=2),
        IssueState.handling: dt.timedelta(days=1, hours=8),
        IssueState.evaluating: dt.timedelta(hours=3),
    }
    stages = queries.stages(issue)
    assert [(st.state, st.level and st.level.value) for st in stages][2:4] == [
        (IssueState.handling, "grid"),
        (IssueState.handling, "community"),
    ]
