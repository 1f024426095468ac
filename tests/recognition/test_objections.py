"""The monthly notice sheet and objections (异议): recorded during the notice, resolved by
letting the award stand or reversing it before it is final; refused after the date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.ledger import services as ledger
from points_app.ledger.models import Transfer
from points_app.ledger.pending import holdings_of
from points_app.ledger.verify import run_checks
from points_app.recognition import notice
from points_app.recognition.models import ObjectionState

START = dt.datetime(2027, 1, 7, 1, 0, tzinfo=dt.UTC)  # 09:00 on 7 January in Shanghai


@pytest.fixture
def awarded(make_event: Any, people: Any, serve: Any, notice_days: Any) -> Any:
    """Under a 5-day notice: 张伟 earns 2 points for himself, then 1 for his household."""
    notice_days(5)
    with time_machine.travel(START, tick=False):
        first = make_event(starts_at=START, ends_at=START + dt.timedelta(hours=4))
        serve(first, people["v"], 120, START)
        second = make_event(title="助老", starts_at=START, ends_at=START + dt.timedelta(hours=4))
        serve(second, people["v"], 30, START, for_household=True)
    transfers = list(db.session.scalars(db.select(Transfer).order_by(Transfer.id)))
    return transfers


def test_notice_sheet_lists_people_by_name_and_households_masked(awarded: Any, tree: Any) -> None:
    sheet = notice.notice_sheet(tree["community_a"], dt.date(2027, 1, 1))
    assert [(r.name, r.points) for r in sheet.people] == [("张伟", 2)]
    assert [(r.name, r.points) for r in sheet.households] == [("王*", 1)]
    assert sheet.people[0].final_on == dt.date(2027, 1, 12)
    assert notice.notice_sheet(tree["community_a"], dt.date(2027, 2, 1)).lines == []


def test_objection_upheld_reverses_the_award_before_it_is_final(
    awarded: Any, tree: Any, people: Any
) -> None:
    award = awarded[0]
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        objection = notice.raise_objection(
            award, tree["community_a"], reason="并未到场", actor=people["committee"]
        )
        db.session.commit()
        with pytest.raises(DomainError) as twice:
            notice.raise_objection(
                award, tree["community_a"], reason="again", actor=people["committee"]
            )
        db.session.rollback()
        assert twice.value.code == "objection_open"
        notice.resolve_objection(
            objection, reverse=True, note="核实未到场", actor=people["committee"]
        )
        db.session.commit()
    assert objection.state is ObjectionState.reversed
    held = holdings_of(ledger.account_for_volunteer(people["v"]))
    assert (held.balance, held.pending) == (0, 0)
    assert all(result.is_clean for result in run_checks())
    sheet = notice.notice_sheet(tree["community_a"], dt.date(2027, 1, 1))
    assert sheet.people == []  # a reversed award is off the notice


def test_objection_let_stand_keeps_the_award(awarded: Any, tree: Any, people: Any) -> None:
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        objection = notice.raise_objection(
            awarded[1], tree["community_a"], reason="时长有疑问", actor=people["committee"]
        )
        notice.resolve_objection(
            objection, reverse=False, note="核实无误", actor=people["committee"]
        )
        db.session.commit()
    assert objection.state is ObjectionState.stood
    assert ledger.balance_of(ledger.account_for_household(people["household"])) == 1


def test_objection_after_the_notice_is_refused_with_the_date(
    awarded: Any, tree: Any, people: Any
) -> None:
    final = dt.datetime(2027, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(final), pytest.raises(DomainError) as refused:
        notice.raise_objection(
            awarded[0], tree["community_a"], reason="too late", actor=people["committee"]
        )
    assert refused.value.code == "notice_closed"
    assert "2027" in str(refused.value.message)


def test_an_open_objection_cannot_reverse_once_the_award_is_final(
    awarded: Any, tree: Any, people: Any
) -> None:
    with time_machine.travel(START + dt.timedelta(days=4), tick=False):
        objection = notice.raise_objection(
            awarded[0], tree["community_a"], reason="并未到场", actor=people["committee"]
        )
        db.session.commit()
    with time_machine.travel(START + dt.timedelta(days=6), tick=False):
        with pytest.raises(DomainError) as refused:
            notice.resolve_objection(objection, reverse=True, note="x", actor=people["committee"])
        db.session.rollback()
        assert refused.value.code == "notice_closed"
        notice.resolve_objection(objection, reverse=False, note="期满", actor=people["committee"])
        db.session.commit()


def test_organiser_may_not_record_objections(awarded: Any, tree: Any, people: Any) -> None:
    with pytest.raises(DomainError) as refused:
        notice.raise_objection(
            awarded[0], tree["community_a"], reason="x", actor=people["organiser"]
        )
    assert refused.value.code == "forbidden"


def test_notice_page_prints_and_records_an_objection(
    awarded: Any, tree: Any, people: Any, client: Any, sign_in_as: Any
) -> None:
    community_id, award_id = tree["community_a"].id, awarded[0].id
    db.session.rollback()
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        sign_in_as(people["committee"])
        page = client.get(f"/recognition/notice/{community_id}?month=2027-01&lang=en")
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "张伟" in body and "王*" in body and "王英" not in body
        assert "data-print" in body and "<script>" not in body
        response = client.post(
            f"/recognition/notice/{community_id}/objections?month=2027-01",
            data={"transfer_id": award_id, "reason": "并未到场"},
        )
        assert response.status_code == 302
        body = client.get(f"/recognition/notice/{community_id}?month=2027-01").get_data(
            as_text=True
        )
        assert "并未到场" in body


def test_notice_page_is_refused_outside_the_users_area(
    awarded: Any, tree: Any, make_user: Any, client: Any, sign_in_as: Any
) -> None:
    from points_app.accounts.models import Role

    other = make_user(Role.committee, tree["community_b"], username="committee_b")
    community_id = tree["community_a"].id
    db.session.rollback()
    sign_in_as(other)
    assert client.get(f"/recognition/notice/{community_id}").status_code == 404
