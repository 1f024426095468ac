"""Giving points to a paired household from a page: a volunteer from "My service", an
organisation's manager from its page; two steps, one transfer however often it is sent."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Transfer, TransferKind
from points_app.people.models import Pairing


def _pair(household, **partner):
    db.session.add(Pairing(household=household, start_date=dt.date(2026, 1, 1), **partner))
    db.session.commit()


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)


def _gifts() -> int:
    return db.session.scalar(
        select(func.count(Transfer.id)).where(Transfer.kind == TransferKind.give)
    )


def test_a_volunteer_gives_points_after_confirming_once(login_as, people, issue, make_user, tree):
    user = make_user(Role.volunteer, tree["community_a"])
    people["v1"].user_id = user.id
    _pair(people["h1"], volunteer=people["v1"])
    issue(services.account_for_volunteer(people["v1"]), 50)
    client = login_as(user)
    assert "/ledger/give/volunteer/" in client.get("/me/service").get_data(as_text=True)
    url = f"/ledger/give/volunteer/{people['v1'].id}"
    form = client.get(url).get_data(as_text=True)
    data = {"household_id": people["h1"].id, "amount": 20, "memo": "春节慰问",
            "idempotency_key": _key(form)}  # fmt: skip
    review = client.post(url, data=data)
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and "Yes, give the points" in page and "30" in page
    assert _gifts() == 0  # nothing yet: the giver confirms first
    data["confirmed"] = "yes"
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302  # a double tap
    assert _gifts() == 1
    assert services.balance_of(services.account_for_household(people["h1"])) == 20


def test_giving_more_than_the_balance_is_refused_on_the_page(
    login_as, people, issue, make_user, tree
):
    user = make_user(Role.volunteer, tree["community_a"])
    people["v1"].user_id = user.id
    _pair(people["h1"], volunteer=people["v1"])
    issue(services.account_for_volunteer(people["v1"]), 5)
    client = login_as(user)
    url = f"/ledger/give/volunteer/{people['v1'].id}"
    data = {"household_id": people["h1"].id, "amount": 9, "memo": "x",
            "idempotency_key": "k1", "confirmed": "yes"}  # fmt: skip
    response = client.post(url, data=data)
    assert response.status_code == 200 and _gifts() == 0
    assert "points" in response.get_data(as_text=True)


def test_only_paired_households_can_be_chosen(login_as, people, issue, make_user, tree):
    user = make_user(Role.volunteer, tree["community_a"])
    people["v1"].user_id = user.id
    _pair(people["h1"], volunteer=people["v1"])
    issue(services.account_for_volunteer(people["v1"]), 50)
    client = login_as(user)
    data = {"household_id": people["h2"].id, "amount": 5, "memo": "x",
            "idempotency_key": "k2", "confirmed": "yes"}  # fmt: skip
    client.post(f"/ledger/give/volunteer/{people['v1'].id}", data=data)
    assert _gifts() == 0


def test_another_volunteers_page_is_not_found(login_as, people, make_user, tree):
    user = make_user(Role.volunteer, tree["community_a"])
    people["v1"].user_id = user.id
    db.session.commit()
    client = login_as(user)
    assert client.get(f"/ledger/give/volunteer/{people['v2'].id}").status_code == 404
    assert client.get(f"/ledger/give/household/{people['h1'].id}").status_code == 404


def test_an_organisation_gives_from_its_page(login_as, people, issue, make_user, tree):
    organiser = make_user(Role.organiser, tree["community_a"])
    _pair(people["h1"], organisation=people["org"])
    issue(services.account_for_organisation(people["org"]), 40)
    client = login_as(organiser)
    page = client.get(f"/organisations/{people['org'].id}").get_data(as_text=True)
    url = f"/ledger/give/organisation/{people['org'].id}"
    assert url in page
    key = _key(client.get(url).get_data(as_text=True))
    data = {"household_id": people["h1"].id, "amount": 15, "memo": "助学",
            "idempotency_key": key, "confirmed": "yes"}  # fmt: skip
    assert client.post(url, data=data).status_code == 302
    assert services.balance_of(services.account_for_household(people["h1"])) == 15
    other = make_user(Role.organiser, tree["community_b"])
    assert login_as(other).get(url).status_code == 404
