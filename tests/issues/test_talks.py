"""Talk sessions (说事会), the fixed talk day and the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import queries, services, workflow
from points_app.issues.models import AttendeeKind, IssueState, TalkSession
from points_app.issues.services import AttendeeInput

TODAY = dt.date(2026, 3, 2)


def _session(people, area, held_on=TODAY, **kwargs):
    session = services.create_talk_session(
        actor=people["committee"], area=area, held_on=held_on, place="议事厅", chair="陈主任",
        **kwargs,
    )  # fmt: skip
    db.session.commit()
    return session


def test_a_session_records_attendees_and_minutes(people, tree):
    session = _session(
        people, tree["community_a"], minutes="讨论了楼道堆物",
        attendees=[
            AttendeeInput(AttendeeKind.residents, 12, "张三、李四"),
            AttendeeInput("property_company", 1, "港城物业"),
            AttendeeInput("legal_adviser", 1, "王律师"),
        ],
    )  # fmt: skip
    assert session.attendee_count == 14
    assert [a.kind for a in session.attendees] == [
        AttendeeKind.residents, AttendeeKind.property_company, AttendeeKind.legal_adviser,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"place": " "}, "place_required"),
        ({"chair": ""}, "chair_required"),
        ({"attendees": [AttendeeInput("residents", 0)]}, "invalid_count"),
        ({"attendees": [AttendeeInput("aliens", 2)]}, "invalid_attendee_kind"),
    ],
)
def test_bad_session_input_is_refused(people, tree, kwargs, code):
    values = {
        "actor": people["committee"], "area": tree["community_a"], "held_on": TODAY,
        "place": "议事厅", "chair": "陈主任",
    }  # fmt: skip
    values.update(kwargs)
    with pytest.raises(DomainError) as refused:
        services.create_talk_session(**values)
    assert refused.value.code == code


def test_grid_workers_cannot_hold_sessions(people, tree):
    with pytest.raises(DomainError) as refused:
        services.create_talk_session(
            actor=people["grid"], area=tree["grid_a"], held_on=TODAY, place="x", chair="y"
        )
    assert refused.value.code == "forbidden"


def test_an_issue_raised_at_a_session_comes_by_that_channel(people, tree, new_issue):
    session = _session(people, tree["community_a"])
    issue = new_issue(session=session, channel="hotline")
    assert issue.channel.value == "talk_session"
    raised, decided = queries.session_issues(session)
    assert raised == [issue] and decided == []
    with pytest.raises(DomainError) as refused:
        new_issue(actor=people["grid_b"], area=tree["grid_b"], session=session)
    assert refused.value.code == "wrong_session"


def test_the_dashboard_counts_and_warns_of_communities_without_a_session(
    clock, people, tree, issue_in
):
    issue_in(IssueState.raised)
    issue_in(IssueState.handling)
    issue_in(IssueState.closed)
    _session(people, tree["grid_a"], held_on=dt.date(2026, 3, 20))  # planned, in community A
    _session(people, tree["community_a"], held_on=dt.date(2026, 2, 20))  # last month
    board = queries.dashboard(people["street"], TODAY)
    assert board.counts[IssueState.raised] == 1
    assert board.counts[IssueState.handling] == 1
    assert board.counts[IssueState.closed] == 1
    assert board.open_total == 2
    assert [s.held_on for s in board.sessions] == [dt.date(2026, 3, 20)]
    assert [c.community.code for c in board.missing] == ["S-b"]
    assert board.missing[0].talk_day == dt.date(2026, 3, 15)


def test_the_dashboard_page_shows_the_warning(client, switch_to, people, tree, clock):
    services.save_settings(
        tree["community_b"], actor=people["committee_b"], talk_day=8,
        grid_days=3, community_days=7, street_days=15,
    )  # fmt: skip
    db.session.commit()
    page = switch_to(people["street"]).get("/issues/dashboard").get_data(as_text=True)
    assert "社区B has no talk session this month" in page
    assert "社区A has no talk session this month" in page
    page = switch_to(people["committee"]).get("/issues/dashboard").get_data(as_text=True)
    assert "社区B" not in page


def test_creating_and_editing_a_session_through_the_form(client, login_as, people, tree):
    login_as(people["committee"])
    form = client.get("/issues/talks/new").get_data(as_text=True)
    assert "Community legal adviser" in form
    kinds = list(AttendeeKind)
    data = {
        "area_id": tree["community_a"].id, "held_on": "2026-03-15", "place": "议事厅",
        "chair": "陈主任", "minutes": "会议纪要",
    }  # fmt: skip
    for i, kind in enumerate(kinds):
        data[f"attendees-{i}-kind"] = kind.value
    data["attendees-0-count"] = "15"
    data["attendees-0-names"] = "居民代表"
    data["attendees-7-count"] = "1"
    response = client.post("/issues/talks/new", data=data)
    assert response.status_code == 302
    session = db.session.scalars(select(TalkSession)).one()
    assert [(a.kind, a.count) for a in session.attendees] == [
        (AttendeeKind.residents, 15), (AttendeeKind.legal_adviser, 1),
    ]  # fmt: skip
    edit = client.get(f"/issues/talks/{session.id}/edit").get_data(as_text=True)
    assert 'value="15"' in edit and "居民代表" in edit
    data["attendees-0-count"] = ""
    data["place"] = "新议事厅"
    assert client.post(f"/issues/talks/{session.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    session = db.session.get(TalkSession, session.id)
    assert session.place == "新议事厅"
    assert [a.kind for a in session.attendees] == [AttendeeKind.legal_adviser]
    page = client.get(f"/issues/talks/{session.id}").get_data(as_text=True)
    assert "会议纪要" in page


def test_a_session_form_with_a_missing_place_keeps_the_input(client, login_as, people, tree):
    login_as(people["committee"])
    response = client.post(
        "/issues/talks/new",
        data={"area_id": tree["community_a"].id, "held_on": "2026-03-15", "place": "",
              "chair": "陈主任", "minutes": "记下来的话"},
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "记下来的话" in page and 'value="陈主任"' in page
    assert db.session.scalars(select(TalkSession)).first() is None


def test_the_session_page_lists_issues_decided_there(
    client, login_as, people, tree, issue_in, clock
):
    session = _session(people, tree["community_a"])
    issue = issue_in(IssueState.deliberating)
    workflow.transition(
        issue, "handling", actor=people["committee"], decision="修路灯", session=session
    )
    db.session.commit()
    page = login_as(people["grid"]).get(f"/issues/talks/{session.id}").get_data(as_text=True)
    assert issue.title in page


def test_settings_page_saves_the_talk_day(client, switch_to, people, tree):
    switch_to(people["committee"])
    url = f"/issues/settings/{tree['community_a'].id}"
    assert 'value="15"' in client.get(url).get_data(as_text=True)
    data = {"talk_day": "9", "grid_days": "2", "community_days": "5", "street_days": "10"}
    assert client.post(url, data=data).status_code == 302
    assert services.settings_for(tree["grid_a"]).talk_day == 9
    assert switch_to(people["committee_b"]).get(url).status_code == 404
    assert switch_to(people["grid"]).get(url).status_code == 404
    grid_url = f"/issues/settings/{tree['grid_a'].id}"
    assert switch_to(people["committee"]).get(grid_url).status_code == 404
