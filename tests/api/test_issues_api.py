"""Residents' issues over /api/v1: raise, list, read, move and evaluate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from points_app.accounts.models import Role
from points_app.api.openapi import build_openapi
from points_app.api.validation import validate
from points_app.events import services as events
from points_app.events.models import EventKind, PointsRule
from points_app.extensions import db
from points_app.issues import deadlines, workflow
from points_app.issues.models import Issue, IssueCategory, IssueState
from points_app.issues.services import raise_issue
from points_app.people.models import Volunteer

# A Monday, 10:00 in Shanghai.
MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def _matches_document(app, path: str, method: str, status: int, body: Any) -> None:
    response = build_openapi(app)["paths"][path][method]["responses"][str(status)]
    validate(response["content"]["application/json"]["schema"], body)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadlines, "now", lambda: MONDAY)


@pytest.fixture
def people(tree, make_user) -> dict[str, Any]:
    return {
        "grid": make_user(Role.grid_worker, tree["grid_a"], display_name="网格员 王"),
        "committee": make_user(Role.committee, tree["community_a"], display_name="陈主任"),
        "street": make_user(Role.committee, tree["street"], display_name="街道 何"),
        "clerk": make_user(Role.clerk, tree["community_a"]),
        "grid_b": make_user(Role.grid_worker, tree["grid_b"]),
    }


@pytest.fixture
def new_issue(tree, people):
    def make(area: str = "grid_a", actor: str = "grid", **kwargs: Any) -> Issue:
        values: dict[str, Any] = {
            "title": "楼道堆放杂物",
            "category": IssueCategory.environment,
            "resident_name": "张三丰",
            "resident_phone": "13812345678",
            **kwargs,
        }
        issue = raise_issue(actor=people[actor], area=tree[area], **values)
        db.session.commit()
        return issue

    return make


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Issue))


def _post(client, headers, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=headers)


def _move(client, headers, issue: Issue, **body: Any) -> Any:
    return _post(client, headers, f"/api/v1/issues/{issue.id}/transitions", body)


def _to_handling(issue: Issue, people: dict[str, Any]) -> None:
    workflow.transition(issue, "deliberating", actor=people["committee"])
    workflow.transition(issue, "handling", actor=people["committee"], decision="物业清理")
    db.session.commit()


def _to_evaluating(issue: Issue, people: dict[str, Any]) -> None:
    _to_handling(issue, people)
    workflow.transition(issue, "evaluating", actor=people["grid"], note="已清理")
    db.session.commit()


# --- raising ------------------------------------------------------------------------------


def test_a_grid_worker_raises_an_issue_and_sees_the_resident_masked(
    app, client, api_headers, tree, people
):
    body = {
        "title": "路灯不亮",
        "category": "public_services",
        "area_id": tree["grid_a"].id,
        "description": "三号楼前的路灯坏了一周",
        "resident_name": "张三丰",
        "resident_phone": "13812345678",
    }
    response = _post(client, api_headers(people["grid"]), "/api/v1/issues", body)
    assert response.status_code == 201, response.json
    issue = response.json
    assert (issue["state"], issue["channel"], issue["area"]["code"]) == (
        "raised", "grid_visit", "S-a-g"
    )  # fmt: skip
    assert issue["resident"] == {"name": "张**", "phone": "138****5678", "is_anonymous": False}
    assert "张三丰" not in response.get_data(as_text=True)
    assert "13812345678" not in response.get_data(as_text=True)
    assert [(e["from"], e["to"]) for e in issue["timeline"]] == [(None, "raised")]
    assert issue["raised_by"]["display_name"] == "网格员 王"
    assert set(issue["allowed_moves"]) == {"deliberating", "handling", "merged"}
    _matches_document(app, "/api/v1/issues", "post", 201, issue)


def test_raising_twice_with_one_key_records_one_issue(client, api_headers, tree, people):
    headers = api_headers(people["grid"], idempotency_key="raise-0001")
    body = {"title": "噪音扰民", "category": "neighbour_dispute", "area_id": tree["grid_a"].id}
    first = _post(client, headers, "/api/v1/issues", body)
    again = _post(client, headers, "/api/v1/issues", body)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert _count() == 1
    other = _post(client, headers, "/api/v1/issues", {**body, "title": "别的事"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_mismatch"


def test_an_issue_cannot_be_raised_outside_ones_areas(client, api_headers, tree, people):
    headers = api_headers(people["grid"])
    for area in ("grid_b", "community_b", "street"):
        body = {"title": "x", "category": "other", "area_id": tree[area].id}
        response = _post(client, headers, "/api/v1/issues", body)
        assert response.status_code == 404, area
        assert response.json["error"]["code"] == "not_found"
    body = {"title": "x", "category": "other", "area_id": tree["street"].id}
    response = _post(client, api_headers(people["street"]), "/api/v1/issues", body)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_area"


@pytest.mark.parametrize(
    "change",
    [
        {"category": "weather"},
        {"title": ""},
        {"title": "x" * 121},
        {"area_id": "1"},
        {"resident_phone": "call me"},
        {"unexpected": True},
    ],
)
def test_a_bad_issue_is_refused(client, api_headers, tree, people, change):
    body = {"title": "x", "category": "other", "area_id": tree["grid_a"].id, **change}
    response = _post(client, api_headers(people["grid"]), "/api/v1/issues", body)
    assert response.status_code == 422
    assert response.json["error"]["code"] in ("validation_error", "invalid_phone")
    assert _count() == 0


# --- listing and reading --------------------------------------------------------------------


def test_the_list_holds_the_callers_areas_newest_first(app, client, api_headers, people, new_issue):
    older = new_issue(title="旧事")
    newer = new_issue(title="新事")
    new_issue(area="grid_b", actor="grid_b", title="B的事")
    response = client.get("/api/v1/issues", headers=api_headers(people["grid"]))
    assert response.status_code == 200
    body = response.json
    assert [i["id"] for i in body["items"]] == [newer.id, older.id]
    assert body["has_next"] is False and body["items"][0]["resident"]["name"] == "张**"
    _matches_document(app, "/api/v1/issues", "get", 200, body)
    street = client.get("/api/v1/issues", headers=api_headers(people["street"])).json
    assert len(street["items"]) == 3


def test_the_list_filters_by_status_and_area_a_page_at_a_time(
    client, api_headers, tree, people, new_issue
):
    issues = [new_issue(title=f"事{n}") for n in range(3)]
    new_issue(area="community_a", actor="committee", title="社区的事")
    _to_handling(issues[0], people)
    headers = api_headers(people["committee"])

    handling = client.get("/api/v1/issues?status=handling", headers=headers).json
    assert [i["id"] for i in handling["items"]] == [issues[0].id]
    assert handling["items"][0]["level"] == "grid" and handling["items"][0]["due_on"]
    in_grid = client.get(f"/api/v1/issues?area={tree['grid_a'].id}", headers=headers).json
    assert len(in_grid["items"]) == 3
    page1 = client.get("/api/v1/issues?per_page=2", headers=headers).json
    page2 = client.get("/api/v1/issues?per_page=2&page=2", headers=headers).json
    assert page1["has_next"] is True and page2["has_next"] is False
    assert len(page1["items"]) == len(page2["items"]) == 2
    assert {i["id"] for i in page1["items"]}.isdisjoint(i["id"] for i in page2["items"])


@pytest.mark.parametrize("query", ["status=done", "per_page=101", "page=0", "area=x"])
def test_a_bad_filter_is_a_validation_error(client, api_headers, people, query):
    response = client.get(f"/api/v1/issues?{query}", headers=api_headers(people["grid"]))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_filtering_by_another_communitys_area_is_not_found(client, api_headers, tree, people):
    url = f"/api/v1/issues?area={tree['community_b'].id}"
    response = client.get(url, headers=api_headers(people["grid"]))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_users_who_may_not_record_issues_see_none(client, api_headers, people, new_issue):
    issue = new_issue()
    headers = api_headers(people["clerk"])
    assert client.get("/api/v1/issues", headers=headers).json["items"] == []
    assert client.get(f"/api/v1/issues/{issue.id}", headers=headers).status_code == 404


def test_an_issue_shows_its_timeline_and_contributions(
    app, client, api_headers, tree, people, new_issue
):
    issue = new_issue()
    _to_handling(issue, people)
    volunteer = Volunteer(real_name="张伟", phone="13900000001", home_community=tree["community_a"])
    db.session.add(volunteer)
    start = MONDAY + dt.timedelta(days=1)
    event = events.create_event(
        events.EventData(
            title="清理楼道", kind=EventKind.volunteer, area=tree["community_a"],
            starts_at=start, ends_at=start + dt.timedelta(hours=3),
            points_rule=PointsRule.per_hour, points_value=2, issue_ids=(issue.id,),
        ),
        actor=people["committee"],
    )  # fmt: skip
    attendance = events.add_manual_attendance(event, volunteer, 90, actor=people["committee"])
    events.approve_attendance(attendance, actor=people["committee"])
    db.session.commit()

    response = client.get(f"/api/v1/issues/{issue.id}", headers=api_headers(people["grid"]))
    assert response.status_code == 200
    body = response.json
    assert [(e["from"], e["to"]) for e in body["timeline"]] == [
        (None, "raised"), ("raised", "deliberating"), ("deliberating", "handling")
    ]  # fmt: skip
    assert body["timeline"][-1]["actor"]["display_name"] == "陈主任"
    assert body["decision"] == "物业清理" and body["due_on"] == "2026-03-05"
    contributions = body["contributions"]
    assert [e["title"] for e in contributions["events"]] == ["清理楼道"]
    assert contributions["people"] == [
        {"name": "张伟", "organisation": "", "hours": 1.5, "points": 4}
    ]
    assert (contributions["hours"], contributions["points"]) == (1.5, 4)
    _matches_document(app, "/api/v1/issues/{issue_id}", "get", 200, body)


def test_an_issue_of_another_community_is_not_found(client, api_headers, people, new_issue):
    issue = new_issue(area="grid_b", actor="grid_b")
    headers = api_headers(people["grid"])
    for response in (
        client.get(f"/api/v1/issues/{issue.id}", headers=headers),
        _move(client, headers, issue, to="deliberating"),
        _post(
            client,
            headers,
            f"/api/v1/issues/{issue.id}/evaluation",
            {"satisfaction": 5, "solved": True},
        ),  # fmt: skip
        client.get("/api/v1/issues/999999", headers=headers),
    ):
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


# --- moving ---------------------------------------------------------------------------------


def test_an_issue_goes_through_talk_decide_handle_escalate(
    app, client, api_headers, people, new_issue
):
    issue = new_issue()
    committee, grid = api_headers(people["committee"]), api_headers(people["grid"])

    response = _move(client, committee, issue, to="deliberating", note="提交说事会")
    assert response.status_code == 200 and response.json["state"] == "deliberating"
    _matches_document(app, "/api/v1/issues/{issue_id}/transitions", "post", 200, response.json)
    response = _move(client, committee, issue, to="handling", decision="物业清理", level="grid")
    assert response.status_code == 200
    assert (response.json["level"], response.json["due_on"]) == ("grid", "2026-03-05")
    response = _move(client, grid, issue, to="handling", level="community")
    assert response.status_code == 422 and response.json["error"]["code"] == "note_required"
    response = _move(client, grid, issue, to="handling", level="community", note="需要社工")
    assert response.status_code == 200 and response.json["level"] == "community"
    response = _move(client, grid, issue, to="evaluating", note="已清理完毕")
    assert response.status_code == 200
    assert (response.json["state"], response.json["resolution"]) == ("evaluating", "已清理完毕")
    assert response.json["allowed_moves"] == []


def test_a_move_the_workflow_does_not_allow_is_invalid_transition(
    client, api_headers, people, new_issue
):
    issue = new_issue()
    response = _move(client, api_headers(people["committee"]), issue, to="closed")
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "invalid_transition"
    assert set(error["details"]["allowed"]) == {"deliberating", "handling", "rejected", "merged"}
    db.session.refresh(issue)
    assert issue.state is IssueState.raised and len(issue.events) == 1


def test_deciding_needs_the_right_to_deliberate(client, api_headers, people, new_issue):
    issue = new_issue()
    workflow.transition(issue, "deliberating", actor=people["committee"])
    db.session.commit()
    response = _move(client, api_headers(people["grid"]), issue, to="handling", decision="x")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    response = _move(client, api_headers(people["committee"]), issue, to="handling")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "decision_required"


def test_an_issue_being_evaluated_moves_only_by_its_evaluation(
    client, api_headers, people, new_issue
):
    issue = new_issue()
    _to_evaluating(issue, people)
    response = _move(client, api_headers(people["committee"]), issue, to="closed")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "evaluation_required"


def test_an_issue_merges_only_into_one_the_caller_may_see(client, api_headers, people, new_issue):
    issue, twin = new_issue(), new_issue(title="同一件事")
    elsewhere = new_issue(area="grid_b", actor="grid_b")
    headers = api_headers(people["committee"])
    response = _move(client, headers, issue, to="merged", merge_into=elsewhere.id)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_merge"
    response = _move(client, headers, issue, to="merged")
    assert response.json["error"]["code"] == "merge_target_required"
    response = _move(client, headers, issue, to="merged", merge_into=twin.id)
    assert response.status_code == 200
    assert (response.json["state"], response.json["merged_into_id"]) == ("merged", twin.id)


def test_a_move_retried_with_its_key_happens_once(client, api_headers, people, new_issue):
    issue = new_issue()
    headers = api_headers(people["committee"], idempotency_key="move-1")
    first = _move(client, headers, issue, to="rejected", note="不属于社区事务")
    again = _move(client, headers, issue, to="rejected", note="不属于社区事务")
    assert first.status_code == again.status_code == 200
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    db.session.refresh(issue)
    assert len(issue.events) == 2 and issue.rejection_reason == "不属于社区事务"
    other = _move(client, headers, issue, to="rejected", note="另一个理由")
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_mismatch"


@pytest.mark.parametrize(
    "body",
    [{}, {"to": "done"}, {"to": "handling", "level": "county"}, {"to": "merged", "merge_into": 0}],
)
def test_a_bad_move_is_a_validation_error(client, api_headers, people, new_issue, body):
    issue = new_issue()
    response = _move(client, api_headers(people["committee"]), issue, **body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


# --- evaluating -----------------------------------------------------------------------------


def test_a_satisfied_resident_closes_the_issue(app, client, api_headers, people, new_issue):
    issue = new_issue()
    _to_evaluating(issue, people)
    headers = api_headers(people["grid"], idempotency_key="rate-1")
    body = {"satisfaction": 5, "solved": True, "comment": "很满意"}
    url = f"/api/v1/issues/{issue.id}/evaluation"
    first = _post(client, headers, url, body)
    again = _post(client, headers, url, body)
    assert first.status_code == again.status_code == 201, first.json
    assert again.json == first.json
    evaluation = first.json["evaluation"]
    assert (evaluation["satisfaction"], evaluation["solved"], evaluation["is_by_proxy"]) == (
        5, True, True
    )  # fmt: skip
    assert first.json["issue"]["state"] == "closed" and first.json["issue"]["closed_at"]
    assert len(first.json["issue"]["evaluations"]) == 1
    _matches_document(app, "/api/v1/issues/{issue_id}/evaluation", "post", 201, first.json)


def test_an_unsolved_issue_goes_back_to_handling(client, api_headers, people, new_issue):
    issue = new_issue()
    _to_evaluating(issue, people)
    url = f"/api/v1/issues/{issue.id}/evaluation"
    response = _post(client, api_headers(people["grid"]), url, {"satisfaction": 4, "solved": False})
    assert response.status_code == 201
    assert response.json["issue"]["state"] == "handling"


def test_only_an_issue_awaiting_evaluation_can_be_rated(client, api_headers, people, new_issue):
    issue = new_issue()
    url = f"/api/v1/issues/{issue.id}/evaluation"
    response = _post(client, api_headers(people["grid"]), url, {"satisfaction": 5, "solved": True})
    assert response.status_code == 409 and response.json["error"]["code"] == "not_evaluating"


@pytest.mark.parametrize(
    "body",
    [
        {"satisfaction": 6, "solved": True},
        {"satisfaction": 0, "solved": True},
        {"satisfaction": 5},
        {"satisfaction": 5, "solved": "yes"},
        {"satisfaction": True, "solved": True},
    ],
)
def test_a_bad_evaluation_is_a_validation_error(client, api_headers, people, new_issue, body):
    issue = new_issue()
    _to_evaluating(issue, people)
    url = f"/api/v1/issues/{issue.id}/evaluation"
    response = _post(client, api_headers(people["grid"]), url, body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
