"""Records the county's figures need: legal talks with their speaker, mediations of disputes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from points_app.accounts.models import Role
from points_app.core.errors import DomainError
from points_app.events import legal
from points_app.events.models import EventKind, PointsRule
from points_app.extensions import db
from points_app.issues import mediation, queries, services, workflow
from points_app.issues.models import IssueCategory, IssueChannel, MediationOutcome

START = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def committee(tree: dict[str, Any], make_user: Any) -> Any:
    return make_user(Role.committee, tree["community_a"], username="chen")


def _talk(tree: dict[str, Any], committee: Any, adviser: legal.LegalAdviser) -> legal.LegalTalk:
    return legal.create_legal_talk(
        legal.LegalTalkData(
            community=tree["community_a"], speaker=adviser, topic="民法典进社区",
            starts_at=START, ends_at=START + dt.timedelta(hours=2),
        ),
        actor=committee,
    )  # fmt: skip


def test_legal_talk_is_an_event_that_earns_no_points_unless_the_community_says_so(
    tree: dict[str, Any], committee: Any
) -> None:
    adviser = legal.add_adviser(tree["community_a"], name="王律师", actor=committee)
    talk = _talk(tree, committee, adviser)
    assert talk.event.kind is EventKind.legal_talk
    assert talk.event.points_value == 0
    assert talk.speaker.name == "王律师" and talk.topic == "民法典进社区"

    legal.set_talk_points(tree["community_a"], earn=True, points=3, actor=committee)
    second = _talk(tree, committee, adviser)
    assert second.event.points_rule is PointsRule.fixed
    assert second.event.points_value == 3


def test_speaker_from_another_community_is_refused(
    tree: dict[str, Any], committee: Any, make_user: Any
) -> None:
    other = make_user(Role.committee, tree["community_b"])
    adviser = legal.add_adviser(tree["community_b"], name="李律师", actor=other)
    with pytest.raises(DomainError) as caught:
        _talk(tree, committee, adviser)
    assert caught.value.code == "validation_error"


def _dispute(tree: dict[str, Any], committee: Any, category: IssueCategory) -> Any:
    issue = services.raise_issue(
        actor=committee, area=tree["community_a"], title="邻里漏水纠纷",
        category=category, channel=IssueChannel.grid_visit,
    )  # fmt: skip
    workflow.transition(issue, "deliberating", actor=committee)
    workflow.transition(issue, "handling", actor=committee, decision="调解", level="community")
    return issue


def test_mediation_is_a_timeline_line_that_moves_nothing(
    tree: dict[str, Any], committee: Any
) -> None:
    issue = _dispute(tree, committee, IssueCategory.neighbour_dispute)
    before = [(s.state, s.level) for s in queries.stages(issue)]
    done = mediation.record_mediation(
        issue, outcome="agreement_signed", mediator="人民调解员 周", actor=committee,
        mediated_on=dt.date.today() - dt.timedelta(days=1), note="双方签字",
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(issue)
    last = issue.events[-1]
    assert last.mediation is done and last.from_state == last.to_state == issue.state
    assert not last.is_escalation
    assert done.outcome is MediationOutcome.agreement_signed and done.outcome.is_settled
    assert [(s.state, s.level) for s in queries.stages(issue)] == before


def test_only_disputes_are_mediated(tree: dict[str, Any], committee: Any) -> None:
    issue = _dispute(tree, committee, IssueCategory.environment)
    with pytest.raises(DomainError) as caught:
        mediation.record_mediation(
            issue, outcome="mediated", mediator="周", mediated_on=dt.date.today(),
            actor=committee,
        )  # fmt: skip
    assert caught.value.code == "not_a_dispute"


def test_mediation_page_records_and_shows_it_in_the_timeline(
    tree: dict[str, Any], committee: Any, login_as: Any
) -> None:
    issue = _dispute(tree, committee, IssueCategory.neighbour_dispute)
    db.session.commit()
    client = login_as(committee)
    assert client.get(f"/issues/{issue.id}/mediation").status_code == 200
    reply = client.post(
        f"/issues/{issue.id}/mediation",
        data={"outcome": "mediated", "mediator": "周调解员", "mediated_on": "2026-03-01"},
    )
    assert reply.status_code == 302
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "周调解员" in page


def test_legal_pages_add_an_adviser_and_hold_a_talk(
    tree: dict[str, Any], committee: Any, login_as: Any
) -> None:
    client = login_as(committee)
    assert client.get("/legal").status_code == 200
    client.post("/legal/advisers", data={"community_id": tree["community_a"].id, "name": "王律师"})
    adviser = db.session.scalars(db.select(legal.LegalAdviser)).one()
    reply = client.post(
        "/legal/talks/new",
        data={"speaker_id": adviser.id, "topic": "反诈宣传", "starts_at": "2026-03-10T09:00",
              "ends_at": "2026-03-10T10:30"},
    )  # fmt: skip
    assert reply.status_code == 302
    assert db.session.scalars(db.select(legal.LegalTalk)).one().topic == "反诈宣传"
