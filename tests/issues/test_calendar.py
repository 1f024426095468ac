"""Deadlines count China's working days: statutory holidays do not count, make-up working
days (调休) do, and the administrator's calendar covers years the package does not know."""

from __future__ import annotations

import datetime as dt

import pytest

from points_app.accounts.models import Role
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.issues import calendar, deadlines, queries, workflow
from points_app.issues.models import IssueState

SHANGHAI_10AM = dt.time(2, 0, tzinfo=dt.UTC)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, SHANGHAI_10AM)


def test_national_day_does_not_count_and_the_make_up_saturday_does(app):
    eve = dt.date(2026, 9, 30)  # Wednesday before 国庆
    assert deadlines.add_working_days(eve, 1) == dt.date(2026, 10, 8)
    assert deadlines.add_working_days(eve, 3) == dt.date(2026, 10, 10)  # a 调休 Saturday
    assert deadlines.working_days_between(eve, dt.date(2026, 10, 12)) == 4
    assert not deadlines.is_working_day(dt.date(2026, 10, 5))  # a Monday of the holiday
    assert deadlines.is_working_day(dt.date(2026, 10, 10))


def test_a_grid_deadline_over_national_day_and_its_overdue_flag(clock, issue_in, people):
    clock.set(_at(dt.date(2026, 9, 30)))
    issue = issue_in(IssueState.handling)  # grid level: 3 working days
    assert issue.due_on == dt.date(2026, 10, 10)
    clock.set(_at(dt.date(2026, 10, 7)))
    assert not issue.is_overdue(deadlines.today())
    clock.set(_at(dt.date(2026, 10, 11)))
    assert issue.is_overdue(deadlines.today())
    overdue, _more = queries.list_issues(people["committee"], today=deadlines.today(), overdue=True)
    assert [i.id for i in overdue] == [issue.id]


def test_a_year_the_package_does_not_know_follows_the_admins_calendar(app, tree, make_user):
    admin = make_user(Role.admin, tree["county"])
    new_year_eve = dt.date(2026, 12, 31)  # Thursday
    assert deadlines.add_working_days(new_year_eve, 1) == dt.date(2027, 1, 1)  # Mon–Fri only
    calendar.set_calendar_day(admin, dt.date(2027, 1, 1), is_working=False, note="元旦")
    calendar.set_calendar_day(admin, dt.date(2027, 1, 2), is_working=True, note="调休")
    db.session.commit()
    assert deadlines.add_working_days(new_year_eve, 1) == dt.date(2027, 1, 2)
    assert deadlines.add_working_days(new_year_eve, 2) == dt.date(2027, 1, 4)
    calendar.clear_calendar_day(admin, dt.date(2027, 1, 2))
    db.session.commit()
    assert deadlines.add_working_days(new_year_eve, 1) == dt.date(2027, 1, 4)


def test_the_admins_calendar_overrides_the_package(app, tree, make_user):
    admin = make_user(Role.admin, tree["county"])
    calendar.set_calendar_day(admin, dt.date(2026, 10, 10), is_working=False, note="本地放假")
    db.session.commit()
    assert deadlines.add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 12)


def test_deadlines_set_after_an_admin_change_follow_it(clock, issue_in, people, tree, make_user):
    admin = make_user(Role.admin, tree["county"])
    calendar.set_calendar_day(admin, dt.date(2026, 3, 3), is_working=False, note="台风停工")
    db.session.commit()
    issue = issue_in(IssueState.handling)  # Monday 2 March, 3 working days
    assert issue.due_on == dt.date(2026, 3, 6)
    workflow.transition(issue, "handling", actor=people["grid"], level="community", note="上报")
    assert issue.due_on == dt.date(2026, 3, 12)


def test_only_an_administrator_edits_the_calendar(app, tree, make_user, login_as):
    committee = make_user(Role.committee, tree["community_a"])
    with pytest.raises(DomainError):
        calendar.set_calendar_day(committee, dt.date(2027, 1, 1), is_working=False)
    assert login_as(committee).get("/issues/calendar").status_code == 403


def test_the_calendar_page_adds_and_removes_a_day(app, tree, make_user, login_as):
    admin = make_user(Role.admin, tree["county"])
    client = login_as(admin)
    page = client.get("/issues/calendar").get_data(as_text=True)
    assert "2026" in page and "2027" in page  # the package's last year and the next
    response = client.post(
        "/issues/calendar", data={"day": "2027-02-06", "kind": "working", "note": "春节调休"}
    )
    assert response.status_code == 302
    assert calendar.is_working_day(dt.date(2027, 2, 6))  # a Saturday
    assert "春节调休" in client.get("/issues/calendar").get_data(as_text=True)
    assert client.post("/issues/calendar/2027-02-06/clear").status_code == 302
    assert not calendar.is_working_day(dt.date(2027, 2, 6))
    assert client.post("/issues/calendar", data={"day": "", "kind": "x"}).status_code == 422
