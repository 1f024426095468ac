"""Recognition fixtures: the events fixtures (people, an event on now) and helpers to
earn points under a community's public notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from points_app.core.db import utcnow
from points_app.events import services as events
from points_app.events.models import Attendance, Event
from points_app.extensions import db
from points_app.recognition.settings import save_settings
from tests.events.conftest import event, make_event, people, sign_in_as  # noqa: F401

__all__ = ["event", "make_event", "now", "people", "sign_in_as"]


@pytest.fixture
def now() -> dt.datetime:
    """The real clock (the events tests' frozen one is theirs): these tests travel in time
    themselves where a date matters."""
    return utcnow().replace(microsecond=0)


@pytest.fixture
def notice_days(tree: dict[str, Any], people: dict[str, Any]) -> Callable[[int], None]:
    """notice_days(n): community A makes earned points wait n days (committed)."""

    def set_days(days: int) -> None:
        save_settings(
            tree["community_a"], actor=people["committee"], notice_days=days,
            certificates_at_once=False,
        )  # fmt: skip
        db.session.commit()

    return set_days


@pytest.fixture
def serve(people: dict[str, Any]) -> Callable[..., Attendance]:
    """serve(event, volunteer, minutes, now, for_household=False): check in, out after
    `minutes`, approve; committed."""

    def do(
        event: Event, volunteer: Any, minutes: int, now: dt.datetime, for_household: bool = False
    ) -> Attendance:
        household_id = people["household"].id if for_household else None
        events.check_in(event, volunteer, actor=None, now=now, for_household_id=household_id)
        attendance = events.check_out(
            event, volunteer, actor=None, now=now + dt.timedelta(minutes=minutes)
        )
        events.approve_attendance(attendance, actor=people["organiser"], now=now)
        db.session.commit()
        return attendance

    return do
