"""Merging duplicates into another issue."""

from __future__ import annotations

import pytest

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import workflow
from points_app.issues.models import IssueState


def test_a_duplicate_is_merged_and_finished(issue_in, new_issue, people):
    original = issue_in(IssueState.handling)
    duplicate = new_issue(title="楼道又堆满了")
    workflow.transition(
        duplicate, "merged", actor=people["grid"], merge_into=original, note="同一楼道"
    )
    db.session.commit()
    assert duplicate.state is IssueState.merged
    assert duplicate.merged_into is original
    assert duplicate.closed_at is not None
    assert original.state is IssueState.handling
    assert workflow.allowed_moves(duplicate) == ()


def test_merging_needs_a_target(new_issue, people):
    issue = new_issue()
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "merged", actor=people["grid"])
    assert refused.value.code == "merge_target_required"


def test_an_issue_cannot_be_merged_into_itself(new_issue, people):
    issue = new_issue()
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "merged", actor=people["grid"], merge_into=issue)
    assert refused.value.code == "invalid_merge"


def test_merging_into_a_merged_issue_is_refused_and_names_the_issue_to_merge_into(
    app, issue_in, new_issue, people
):
    merged = issue_in(IssueState.merged)
    issue = new_issue()
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "merged", actor=people["grid"], merge_into=merged)
    assert (refused.value.code, refused.value.status) == ("invalid_merge", 422)
    with app.test_request_context():
        assert str(refused.value.message) == (
            f"Issue #{merged.id} was itself merged; merge into #{merged.merged_into_id} instead."
        )


def test_merging_across_communities_is_refused(new_issue, people, tree):
    issue = new_issue()
    elsewhere = new_issue(actor=people["grid_b"], area=tree["grid_b"])
    with pytest.raises(DomainError) as refused:
        workflow.transition(issue, "merged", actor=people["street"], merge_into=elsewhere)
    assert refused.value.code == "invalid_merge"


def test_the_database_refuses_a_merged_issue_without_target(new_issue):
    from sqlalchemy.exc import IntegrityError

    issue = new_issue()
    issue.state = IssueState.merged  # bypassing the workflow on purpose
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
