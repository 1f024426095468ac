"""Fixtures for the residents' issues tests: people in roles, a frozen clock, issue factories."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from points_app.accounts.models import Role, User
from points_app.extensions import db
from points_app.issues import deadlines, workflow
from points_app.issues.models import HandlingLevel, Issue, IssueCategory, IssueState
from points_app.issues.services import raise_issue

# A Monday, 10:00 in Shanghai.
MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the issues' clock on a Monday morning."""
    frozen = Clock(MONDAY)
    monkeypatch.setattr(deadlines, "now", frozen)
    return frozen


@pytest.fixture(autouse=True)
def photo_dir(app: Any, tmp_path: Any) -> Any:
    """Keep uploaded photos in the test's own folder."""
    folder = tmp_path / "photos"
    app.config["ISSUE_PHOTO_DIR"] = str(folder)
    return folder


@pytest.fixture
def people(tree: dict[str, Any], make_user: Callable[..., User]) -> dict[str, User]:
    """A grid worker, an organiser and a committee member in community A, and strangers in B."""
    return {
        "grid": make_user(Role.grid_worker, tree["grid_a"], display_name="网格员 王"),
        "organiser": make_user(Role.organiser, tree["community_a"], display_name="社工 李"),
        "committee": make_user(Role.committee, tree["community_a"], display_name="陈主任"),
        "street": make_user(Role.committee, tree["street"], display_name="街道 何"),
        "grid_b": make_user(Role.grid_worker, tree["grid_b"], display_name="网格员 B"),
        "committee_b": make_user(Role.committee, tree["community_b"], display_name="B 主任"),
    }


@pytest.fixture
def new_issue(tree: dict[str, Any], people: dict[str, User]) -> Callable[..., Issue]:
    """Raise an issue in grid A (or elsewhere) as the grid worker."""

    def make(**kwargs: Any) -> Issue:
        values: dict[str, Any] = {
            "actor": people["grid"],
            "area": tree["grid_a"],
            "title": "楼道堆放杂物",
            "category": IssueCategory.environment,
            "resident_name": "张三丰",
            "resident_phone": "13812345678",
        }
        values.update(kwargs)
        issue = raise_issue(**values)
        db.session.commit()
        return issue

    return make


@pytest.fixture
def issue_in(
    new_issue: Callable[..., Issue], people: dict[str, User]
) -> Callable[[IssueState], Issue]:
    """Make an issue and walk it to the given state through the workflow."""

    def make(state: IssueState) -> Issue:
        issue = new_issue()
        committee = people["committee"]
        if state is IssueState.raised:
            return issue
        if state is IssueState.rejected:
            workflow.transition(issue, "rejected", actor=committee, note="不属于社区事务")
        elif state is IssueState.merged:
            other = new_issue(title="同一件事")
            workflow.transition(issue, "merged", actor=committee, merge_into=other)
        else:
            workflow.transition(issue, "deliberating", actor=committee)
            if state is not IssueState.deliberating:
                workflow.transition(
                    issue, "handling", actor=committee, decision="物业清理", level="grid"
                )
            if state in (IssueState.evaluating, IssueState.closed):
                workflow.transition(issue, "evaluating", actor=people["grid"], note="已清理")
            if state is IssueState.closed:
                workflow.evaluate_issue(issue, actor=people["grid"], satisfaction=5, solved=True)
        db.session.commit()
        assert issue.state is state
        return issue

    return make


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (40, 30), noisy: bool = False, **save: Any
) -> bytes:
    """A small real image (noisy ones do not compress)."""
    out = io.BytesIO()
    if noisy:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 80, 40))
    image.save(out, fmt, **save)
    return out.getvalue()


__all__ = ["MONDAY", "Clock", "HandlingLevel", "image_bytes"]


@pytest.fixture
def switch_to(login_as: Callable[[User], Any]) -> Callable[[User], Any]:
    """Sign in as another user mid-test (forgetting the user cached on `g`)."""
    from flask import g

    def switch(user: User) -> Any:
        g.pop("_login_user", None)
        return login_as(user)

    return switch
