"""Quarterly feedback to work units: each member's registration, needs (三单), events,
hours and issues in the quarter, one table per unit, as a page and an XLSX; sent once."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest

from points_app.core.clock import local_date
from points_app.core.errors import DomainError
from points_app.events.models import Need, NeedSource, NeedStatus, PartyRegistration
from points_app.extensions import db
from points_app.issues.models import IssueCategory
from points_app.issues.services import raise_issue
from points_app.people import units
from points_app.recognition import feedback
from points_app.recognition.feedback import Quarter


@pytest.fixture
def quarter_data(tree: Any, people: Any, make_event: Any, serve: Any, now: dt.datetime) -> Any:
    """张伟 (供电公司) registered, claimed two needs and finished one, served 90 minutes at
    an event for an issue; 李娜 (县医院) did nothing this quarter."""
    a = tree["community_a"]
    people["v"].unit = units.unit_for(a, "供电公司")
    people["v2"].unit = units.unit_for(a, "县医院 ")
    db.session.add(PartyRegistration(volunteer_id=people["v"].id, community_id=a.id,
                                     year=local_date(now).year, registered_at=now))  # fmt: skip
    for status in (NeedStatus.claimed, NeedStatus.done):
        db.session.add(Need(
            community_id=a.id, title="修水管", source=NeedSource.resident, status=status,
            claimed_by_id=people["v"].id, claimed_at=now,
            done_at=now if status is NeedStatus.done else None,
        ))  # fmt: skip
    issue = raise_issue(
        actor=people["committee"], area=tree["grid_a"], title="路灯不亮",
        category=IssueCategory.environment, resident_name="张三丰", resident_phone="13812345678",
    )  # fmt: skip
    db.session.commit()
    serve(make_event(issue_ids=(issue.id,)), people["v"], 90, now)
    return Quarter.parse(None, local_date(now))


def test_one_table_per_unit_with_each_members_quarter(quarter_data: Quarter, tree: Any) -> None:
    tables = feedback.quarterly_feedback(tree["community_a"], quarter_data)
    assert [t.unit.name for t in tables] == ["供电公司", "县医院"]
    (row,) = tables[0].members
    assert (row.name, row.needs_claimed, row.needs_done, row.events, row.hours, row.issues) == (
        "张伟",
        2,
        1,
        1,
        "1.5",
        1,
    )
    assert row.registered_on is not None
    assert tables[1].members[0].events == 0
    previous = feedback.quarterly_feedback(tree["community_a"], quarter_data.previous())
    assert previous[0].members[0].events == 0 and previous[0].members[0].needs_claimed == 0


def test_same_name_is_the_same_unit(quarter_data: Quarter, tree: Any) -> None:
    assert units.unit_for(tree["community_a"], " 供电公司") is units.unit_for(
        tree["community_a"], "供电公司"
    )


def test_feedback_is_marked_sent_once(quarter_data: Quarter, tree: Any, people: Any) -> None:
    unit = feedback.quarterly_feedback(tree["community_a"], quarter_data)[0].unit
    feedback.mark_sent(unit, quarter_data, actor=people["committee"])
    db.session.commit()
    with pytest.raises(DomainError) as twice:
        feedback.mark_sent(unit, quarter_data, actor=people["committee"])
    assert twice.value.code == "already_sent"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        feedback.mark_sent(unit, quarter_data, actor=people["organiser"])
    assert refused.value.code == "forbidden"
    assert feedback.quarterly_feedback(tree["community_a"], quarter_data)[0].sent is not None


def test_page_and_xlsx(
    quarter_data: Quarter, tree: Any, people: Any, client: Any, sign_in_as: Any
) -> None:
    community_id = tree["community_a"].id
    db.session.rollback()
    sign_in_as(people["committee"])
    page = client.get(f"/recognition/feedback/{community_id}?quarter={quarter_data}&lang=en")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "供电公司" in body and "县医院" in body and "张伟" in body
    response = client.get(f"/recognition/feedback/{community_id}.xlsx?quarter={quarter_data}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["供电公司", "县医院"]
    rows = list(book["供电公司"].iter_rows(values_only=True))
    assert rows[2][0] == "张伟" and rows[2][2:] == (2, 1, 1, 1.5, 1)
    sign_in_as(people["organiser"])
    assert client.get(f"/recognition/feedback/{community_id}").status_code == 404
