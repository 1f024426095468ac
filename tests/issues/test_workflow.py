"""The issue workflow: the table of moves, what each move needs, who may make it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import workflow
from points_app.issues.models import Issue, IssueEvent, IssueState
from points_app.issues.services import create_talk_session

S = IssueState

ALLOWED = {
    (S.raised, S.deliberating),
    (S.raised, S.handling),
    (S.raised, S.rejected),
    (S.raised, S.merged),
    (S.deliberating, S.handling),
    (S.deliberating, S.rejected),
    (S.deliberating, S.merged),
    (S.handling, S.handling),
    (S.handling, S.evaluating),
    (S.handling, S.deliberating),
    (S.handling, S.merged),
    (S.evaluating, S.handling),
    (S.evaluating, S.closed),
}
ALL_MOVES = [(src, dst) for src in S for dst in S]


def _what_the_move_needs(src, dst, new_issue):
    """Arguments that satisfy a move's own requirements."""
    if dst is S.handling and src is S.deliberating:
        return {"decision": "请物业清理", "level": "grid"}
    if dst is S.handling and src is S.handling:
        return {"level": "community", "note": "网格员协调不了"}
    if dst is S.handling:
        return {"level": "grid"}
    if dst in (S.evaluating, S.rejected):
        return {"note": "已处理"}
    if dst is S.merged:
        return {"merge_into": new_issue(title="重复的事项")}
    return {}


@pytest.mark.parametrize(("src", "dst"), ALL_MOVES, ids=lambda s: s.value)
def test_every_move_is_allowed_or_refused_by_the_table(src, dst, issue_in, new_issue, people):
    issue = issue_in(src)
    kwargs = _what_the_move_needs(src, dst, new_issue)
    if (src, dst) in ALLOWED and src is not S.evaluating:
        event = workflow.transition(issue, dst, actor=people["committee"], **kwargs)
        db.session.commit()
        assert issue.state is dst
        assert (event.from_state, event.to_state) == (src, dst)
        assert event.actor_id == people["committee"].id
    else:
        with pytest.raises(DomainError) as refused:
            workflow.transition(issue, dst, actor=people["committee"], **kwargs)
        expected = "evaluation_required" if (src, dst) in ALLOWED else "invalid_transition"
        assert refused.value.code == expected
        assert refused.value.status == 409
        db.session.rollback()
        db.session.refresh(issue)
        assert issue.state is src


def test_refusal_names_the_allowed_moves(app, issue_in, people):
    issue = issue_in(S.raised)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "closed", actor=people["committee"])
    assert refused.value.code == "invalid_transition"
    assert refused.value.details["allowed"] == ["deliberating", "handling", "rejected", "merged"]
    with app.test_request_context():
        message = str(refused.value.message)
    assert "Raised" in message and "Closed" in message
    assert "Deliberating, Handling, Rejected" in message


def test_finished_issue_allows_nothing(app, issue_in, people):
    issue = issue_in(S.closed)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "handling", actor=people["committee"], level="grid")
    assert refused.value.details["allowed"] == []
    with app.test_request_context():
        assert "finished" in str(refused.value.message)


def test_unknown_state_is_a_validation_error(issue_in, people):
    issue = issue_in(S.raised)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "teleported", actor=people["committee"])
    assert refused.value.code == "validation_error"


def test_every_move_writes_one_timeline_row(issue_in):
    issue = issue_in(S.closed)
    moves = [(e.from_state, e.to_state) for e in issue.events]
    assert moves == [
        (None, S.raised),
        (S.raised, S.deliberating),
        (S.deliberating, S.handling),
        (S.handling, S.evaluating),
        (S.evaluating, S.closed),
    ]
    assert db.session.scalar(select(db.func.count(IssueEvent.id))) == 5


def test_each_timeline_row_is_dated_when_the_move_was_made(issue_in, people):
    issue = issue_in(S.raised)
    moment = dt.datetime(2026, 3, 2, 5, 30, tzinfo=dt.UTC)
    event = workflow.transition(issue, "deliberating", actor=people["committee"], at=moment)
    assert event.at == moment


def test_deciding_needs_the_decision_and_records_the_session(app, issue_in, people, tree):
    issue = issue_in(S.deliberating)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "handling", actor=people["committee"], level="grid")
    assert refused.value.code == "decision_required"
    with app.test_request_context():
        assert str(refused.value.message) == "Write down what was decided."
    db.session.rollback()
    session = create_talk_session(
        actor=people["committee"], area=tree["community_a"], held_on=issue.created_at.date(),
        place="社区议事厅", chair="陈主任",
    )  # fmt: skip
    event = workflow.transition(
        issue, "handling", actor=people["committee"], decision="物业三天内清理",
        session=session, level="community",
    )  # fmt: skip
    db.session.commit()
    assert issue.decision == "物业三天内清理"
    assert issue.decided_session is session
    assert event.session is session
    assert issue.level.value == "community"


def test_a_session_of_another_community_cannot_decide(issue_in, people, tree, make_user):
    issue = issue_in(S.deliberating)
    other = create_talk_session(
        actor=people["street"], area=tree["community_b"], held_on=issue.created_at.date(),
        place="B 会议室", chair="B 主任",
    )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        workflow.transition(
            issue, "handling", actor=people["street"], decision="x", session=other, level="grid"
        )
    assert refused.value.code == "wrong_session"


def test_rejecting_needs_a_reason(issue_in, people):
    issue = issue_in(S.raised)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "rejected", actor=people["committee"], note="  ")
    assert refused.value.code == "note_required"
    db.session.rollback()
    workflow.transition(issue, "rejected", actor=people["committee"], note="属于司法程序")
    assert issue.rejection_reason == "属于司法程序"
    assert issue.closed_at is not None


def test_asking_for_evaluation_needs_what_was_done(issue_in, people):
    issue = issue_in(S.handling)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "evaluating", actor=people["grid"])
    assert refused.value.code == "note_required"
    db.session.rollback()
    workflow.transition(issue, "evaluating", actor=people["grid"], note="杂物已清走")
    assert issue.resolution == "杂物已清走"
    assert issue.due_on is None


def test_grid_worker_may_handle_but_not_decide_or_reject(issue_in, people):
    raised = issue_in(S.raised)
    workflow.transition(raised, "handling", actor=people["grid"], level="grid")
    assert raised.state is S.handling
    deliberating = issue_in(S.deliberating)
    for dst, kwargs in (("handling", {"decision": "x"}), ("rejected", {"note": "x"})):
        with pytest.raises(DomainError) as refused:
            workflow.transition(deliberating, dst, actor=people["grid"], **kwargs)
        assert refused.value.code == "forbidden"
        assert refused.value.status == 403


def test_moves_outside_the_actors_area_are_forbidden(issue_in, people):
    issue = issue_in(S.raised)
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "deliberating", actor=people["committee_b"])
    assert refused.value.code == "forbidden"


def test_moves_for_lists_only_what_the_actor_may_do(issue_in, people):
    issue = issue_in(S.deliberating)
    assert workflow.moves_for(issue, people["grid"]) == [S.merged]
    assert workflow.moves_for(issue, people["committee"]) == [S.handling, S.rejected, S.merged]
    assert workflow.moves_for(issue, people["grid_b"]) == []


def test_each_workflow_refusal_has_its_code_and_status_and_says_what_to_do(
    app, issue_in, new_issue, people, tree
):
    grid, committee = people["grid"], people["committee"]
    other_session = create_talk_session(
        actor=people["street"], area=tree["community_b"], held_on=dt.date(2026, 3, 2),
        place="B 会议室", chair="B 主任",
    )  # fmt: skip
    db.session.commit()
    raised, handling, evaluating = issue_in(S.raised), issue_in(S.handling), issue_in(S.evaluating)
    elsewhere = new_issue(actor=people["grid_b"], area=tree["grid_b"])
    at_community = issue_in(S.raised)
    workflow.transition(at_community, "handling", actor=committee, level="community")
    db.session.commit()
    moves = {
        "unknown state": lambda: workflow.transition(raised, "teleported", actor=committee),
        "unknown level": lambda: workflow.transition(
            raised, "handling", actor=committee, level="moon"
        ),
        "escalation without a level": lambda: workflow.transition(
            handling, "handling", actor=committee, note="升级"
        ),
        "escalation not higher": lambda: workflow.transition(
            at_community, "handling", actor=committee, level="grid", note="升级"
        ),
        "evaluation asked without what was done": lambda: workflow.transition(
            handling, "evaluating", actor=grid
        ),
        "rejected without a reason": lambda: workflow.transition(
            raised, "rejected", actor=committee
        ),
        "merged without a target": lambda: workflow.transition(raised, "merged", actor=grid),
        "merged into itself": lambda: workflow.transition(
            raised, "merged", actor=grid, merge_into=raised
        ),
        "merged across communities": lambda: workflow.transition(
            raised, "merged", actor=people["street"], merge_into=elsewhere
        ),
        "closed without an evaluation": lambda: workflow.transition(
            evaluating, "closed", actor=committee
        ),
        "a move the actor may not make": lambda: workflow.transition(
            raised, "rejected", actor=grid, note="x"
        ),
        "a session of another community": lambda: workflow.transition(
            raised, "deliberating", actor=people["street"], session=other_session
        ),
        "rated while not evaluating": lambda: workflow.evaluate_issue(
            raised, actor=grid, satisfaction=5, solved=True
        ),
        "rated by a stranger": lambda: workflow.evaluate_issue(
            evaluating, actor=people["grid_b"], satisfaction=5, solved=True
        ),
        "rated 0": lambda: workflow.evaluate_issue(
            evaluating, actor=grid, satisfaction=0, solved=True
        ),
        "rated True": lambda: workflow.evaluate_issue(
            evaluating, actor=grid, satisfaction=True, solved=True
        ),
    }
    said = {}
    for what, move in moves.items():
        with pytest.raises(DomainError) as refused:
            move()
        db.session.rollback()
        with app.test_request_context():
            said[what] = (refused.value.code, refused.value.status, str(refused.value.message))
    satisfaction = ("invalid_satisfaction", 422, "Satisfaction is a whole number 1 to 5.")
    assert said == {
        "unknown state": ("validation_error", 422, "Unknown state teleported."),
        "unknown level": ("validation_error", 422, "Unknown handling level moon."),
        "escalation without a level": (
            "level_required", 422, "Choose the level to pass the issue up to.",
        ),
        "escalation not higher": (
            "not_higher_level", 422,
            "The issue is already handled at Community; escalate it to a higher level.",
        ),
        "evaluation asked without what was done": (
            "note_required", 422, "Say what was done before asking for evaluation.",
        ),
        "rejected without a reason": (
            "note_required", 422, "Give the reason for rejecting the issue.",
        ),
        "merged without a target": (
            "merge_target_required", 422, "Say which issue this one duplicates.",
        ),
        "merged into itself": ("invalid_merge", 422, "An issue cannot be merged into itself."),
        "merged across communities": (
            "invalid_merge", 422, "Only issues of the same community can be merged.",
        ),
        "closed without an evaluation": (
            "evaluation_required", 409,
            "Record the resident's evaluation: it closes the issue or sends it back.",
        ),
        "a move the actor may not make": (
            "forbidden", 403, "You may not make this move on this issue.",
        ),
        "a session of another community": (
            "wrong_session", 422, "That talk session belongs to another community.",
        ),
        "rated while not evaluating": (
            "not_evaluating", 409,
            "This issue is not waiting for an evaluation: it is Raised.",
        ),
        "rated by a stranger": ("forbidden", 403, "You may not evaluate issues in this area."),
        "rated 0": satisfaction,
        "rated True": satisfaction,
    }  # fmt: skip


def test_a_timeline_entry_moves_nothing_and_keeps_its_note_to_the_limit(issue_in, people):
    issue = issue_in(S.handling)
    moment = dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.UTC)
    event = workflow.record_entry(
        issue, actor=people["committee"], at=moment, note="调" * (workflow.MAX_NOTE + 5)
    )
    assert issue.state is S.handling
    assert (event.from_state, event.to_state) == (S.handling, S.handling)
    assert event.note == "调" * workflow.MAX_NOTE
    assert (event.at, event.actor_id) == (moment, people["committee"].id)


def test_a_move_starts_from_the_state_in_the_database_not_the_one_in_hand(issue_in, people):
    issue = issue_in(IssueState.raised)
    # Another worker closed the issue as a duplicate meanwhile; the object in hand
    # still says "raised".
    db.session.execute(
        update(Issue)
        .where(Issue.id == issue.id)
        .values(state=IssueState.closed)
        .execution_options(synchronize_session=False)
    )
    assert issue.state is IssueState.raised
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "handling", actor=people["grid"], level="grid")
    assert refused.value.code == "invalid_transition"
    assert issue.state is IssueState.closed


def test_an_unknown_level_or_state_is_refused_naming_at_most_its_first_40_characters(app):
    long_name = "x" * 39 + "yz" + "w" * 9
    with pytest.raises(DomainError) as level:
        workflow.parse_level(long_name)
    with pytest.raises(DomainError) as state:
        workflow.parse_state(long_name)
    assert (level.value.code, level.value.status) == ("validation_error", 422)
    with app.test_request_context():
        assert str(level.value.message) == "Unknown handling level " + "x" * 39 + "y."
        assert str(state.value.message) == "Unknown state " + "x" * 39 + "y."
    assert workflow.parse_level("") is None and workflow.parse_level("street").value == "street"
