"""Points over /api/v1: accounts, their transfers, and moving points by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from points_app.accounts.models import Role
from points_app.api.openapi import build_openapi
from points_app.api.validation import validate
from points_app.core.clock import local_today
from points_app.extensions import db
from points_app.ledger import services
from points_app.ledger.models import Account, AccountKind, TransferKind
from points_app.people.models import (
    Household,
    HouseholdCategory,
    Organisation,
    OrganisationKind,
    Pairing,
    Volunteer,
)


def _matches_document(app, path: str, method: str, status: int, body: Any) -> None:
    response = build_openapi(app)["paths"][path][method]["responses"][str(status)]
    validate(response["content"]["application/json"]["schema"], body)


def _household(public_no: str, name: str, community: Any, **kwargs: Any) -> Household:
    return Household(
        public_no=public_no, head_name=name, address="幸福路8号3幢101室", community=community,
        category=HouseholdCategory.dibao, **kwargs,
    )  # fmt: skip


@pytest.fixture
def w(tree, make_user) -> dict[str, Any]:
    """Community A: a committee member, an organiser, two volunteers with sign-ins, an
    organisation, households paired and not; community B: a committee member, a household."""
    a, b = tree["community_a"], tree["community_b"]
    people: dict[str, Any] = {
        "committee": make_user(Role.committee, a),
        "organiser": make_user(Role.organiser, a),
        "street": make_user(Role.committee, tree["street"]),
        "committee_b": make_user(Role.committee, b),
        "vol_user": make_user(),
        "vol2_user": make_user(),
    }
    v = Volunteer(real_name="张伟", phone="13900000001", home_community=a,
                  user_id=people["vol_user"].id)  # fmt: skip
    v2 = Volunteer(real_name="李娜", phone="13900000002", home_community=a,
                   user_id=people["vol2_user"].id)  # fmt: skip
    org = Organisation(name="红帆志愿服务队", kind=OrganisationKind.volunteer_team, area=a)
    paired = _household("A-H001", "王秀英", a, id_number="330225195001011234", phone="13811112222")
    unpaired = _household("A-H002", "陈大明", a)
    other = _household("B-H001", "赵英", b)
    db.session.add_all([v, v2, org, paired, unpaired, other])
    db.session.flush()
    today = local_today()
    db.session.add_all(
        [
            Pairing(household=paired, volunteer=v, start_date=today - dt.timedelta(days=30)),
            Pairing(household=paired, organisation=org, start_date=today),
            Pairing(
                household=unpaired,
                volunteer=v,
                start_date=today - dt.timedelta(days=30),
                end_date=today - dt.timedelta(days=1),
            ),  # fmt: skip
        ]
    )
    accounts = {
        "issuance": services.system_account(a, AccountKind.issuance),
        "issuance_b": services.system_account(b, AccountKind.issuance),
        "sink": services.system_account(a, AccountKind.store_sink),
        "v": services.account_for_volunteer(v),
        "v2": services.account_for_volunteer(v2),
        "org": services.account_for_organisation(org),
        "paired": services.account_for_household(paired),
        "unpaired": services.account_for_household(unpaired),
        "other": services.account_for_household(other),
    }
    for name, amount in (("v", 100), ("org", 50)):
        services.transfer(
            debit=accounts["issuance"], credit=accounts[name], amount=amount,
            kind=TransferKind.issue, actor=people["committee"], memo="开户积分",
        )  # fmt: skip
    db.session.commit()
    return {**people, **{f"acct_{k}": v for k, v in accounts.items()}, "paired": paired}


def _balance(account: Account) -> int:
    return services.balance_of(account)


def _move(client, headers, payer: Account, receiver: Account, amount: int, memo="结对帮扶"):
    body = {
        "from_account": payer.id,
        "to_account": receiver.id,
        "amount": amount,
        "memo": memo,
    }
    return client.post("/api/v1/transfers", json=body, headers=headers)


# --- reading accounts -----------------------------------------------------------------


def test_an_account_shows_its_owner_and_balance(app, client, api_headers, w):
    response = client.get(f"/api/v1/accounts/{w['acct_v'].id}", headers=api_headers(w["committee"]))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["balance"] == 100 and body["kind"] == "volunteer"
    assert body["owner"] == {"kind": "volunteer", "id": w["acct_v"].volunteer_id, "name": "张伟"}
    _matches_document(app, "/api/v1/accounts/{account_id}", "get", 200, body)


def test_a_household_account_shows_only_the_public_number_and_a_masked_name(client, api_headers, w):
    response = client.get(
        f"/api/v1/accounts/{w['acct_paired'].id}", headers=api_headers(w["committee"])
    )
    assert response.status_code == 200
    owner = response.json["owner"]
    assert owner["public_no"] == "A-H001" and owner["name"] == "王**"
    text = response.get_data(as_text=True)
    for secret in ("王秀英", "330225195001011234", "13811112222", "幸福路"):
        assert secret not in text


def test_a_system_account_names_its_community(client, api_headers, w):
    response = client.get(
        f"/api/v1/accounts/{w['acct_issuance'].id}", headers=api_headers(w["committee"])
    )
    assert response.status_code == 200
    assert response.json["owner"]["id"] is None and response.json["balance"] == -150
    assert response.json["community"]["name"] == "社区A"


def test_a_volunteer_sees_their_own_account_only(client, api_headers, w):
    headers = api_headers(w["vol_user"])
    assert client.get(f"/api/v1/accounts/{w['acct_v'].id}", headers=headers).status_code == 200
    for other in ("acct_v2", "acct_paired", "acct_issuance"):
        response = client.get(f"/api/v1/accounts/{w[other].id}", headers=headers)
        assert response.status_code == 404, other
        assert response.json["error"]["code"] == "not_found"


def test_an_account_of_another_community_is_not_found(client, api_headers, w):
    headers = api_headers(w["committee"])
    for path in (
        f"/api/v1/accounts/{w['acct_other'].id}",
        f"/api/v1/accounts/{w['acct_other'].id}/transfers",
        "/api/v1/accounts/999999",
        "/api/v1/accounts/99999999999",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"


def test_accounts_need_a_token(client, w):
    response = client.get(f"/api/v1/accounts/{w['acct_v'].id}")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


# --- history ----------------------------------------------------------------------------


def test_transfers_come_newest_first_a_page_at_a_time(app, client, api_headers, w):
    for n in range(1, 5):
        services.transfer(
            debit=w["acct_issuance"], credit=w["acct_v"], amount=n, kind=TransferKind.issue,
            actor=w["committee"], memo=f"第{n}次",
        )  # fmt: skip
    services.transfer(
        debit=w["acct_v"], credit=w["acct_paired"], amount=7, kind=TransferKind.give,
        actor=w["vol_user"], memo="送给结对户",
    )  # fmt: skip
    db.session.commit()
    headers = api_headers(w["committee"])
    url = f"/api/v1/accounts/{w['acct_v'].id}/transfers"

    first = client.get(url + "?per_page=2", headers=headers)
    assert first.status_code == 200, first.json
    body = first.json
    assert (body["page"], body["per_page"], body["has_next"]) == (1, 2, True)
    assert [t["change"] for t in body["items"]] == [-7, 4]
    assert body["items"][0]["to_account"]["name"] == "A-H001 王**"
    assert body["items"][0]["kind"] == "give"
    _matches_document(app, "/api/v1/accounts/{account_id}/transfers", "get", 200, body)

    last = client.get(url + "?per_page=2&page=3", headers=headers).json
    assert [t["change"] for t in last["items"]] == [1, 100] and last["has_next"] is False
    everything = client.get(url, headers=headers).json
    ids = [t["id"] for t in everything["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 6
    assert client.get(url + "?page=9", headers=headers).json["items"] == []


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "page=x"])
def test_a_page_out_of_bounds_is_a_validation_error(client, api_headers, w, query):
    url = f"/api/v1/accounts/{w['acct_v'].id}/transfers?{query}"
    response = client.get(url, headers=api_headers(w["committee"]))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_a_volunteer_reads_their_own_history(client, api_headers, w):
    url = f"/api/v1/accounts/{w['acct_v'].id}/transfers"
    response = client.get(url, headers=api_headers(w["vol_user"]))
    assert response.status_code == 200 and response.json["items"][0]["change"] == 100
    url = f"/api/v1/accounts/{w['acct_v2'].id}/transfers"
    assert client.get(url, headers=api_headers(w["vol_user"])).status_code == 404


# --- moving points ----------------------------------------------------------------------


def test_the_committee_issues_points_once_per_idempotency_key(app, client, api_headers, w):
    headers = api_headers(w["committee"], idempotency_key="issue-2026-0001")
    first = _move(client, headers, w["acct_issuance"], w["acct_v2"], 30, memo="春节慰问")
    again = _move(client, headers, w["acct_issuance"], w["acct_v2"], 30, memo="春节慰问")

    assert first.status_code == 201, first.json
    body = first.json
    assert (body["kind"], body["amount"], body["memo"]) == ("issue", 30, "春节慰问")
    assert body["from_account"]["id"] == w["acct_issuance"].id
    assert body["to_account"] == {"id": w["acct_v2"].id, "kind": "volunteer", "name": "李娜"}
    assert body["actor_id"] == w["committee"].id
    assert again.status_code == 201 and again.json == body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _balance(w["acct_v2"]) == 30
    _matches_document(app, "/api/v1/transfers", "post", 201, body)


def test_the_longest_idempotency_key_is_accepted(client, api_headers, w):
    headers = api_headers(w["committee"], idempotency_key="k" * 255)
    response = _move(client, headers, w["acct_issuance"], w["acct_v2"], 30)
    assert response.status_code == 201, response.json


def test_the_same_key_with_another_amount_is_a_mismatch(client, api_headers, w):
    headers = api_headers(w["committee"], idempotency_key="issue-2026-0002")
    assert _move(client, headers, w["acct_issuance"], w["acct_v2"], 30).status_code == 201
    response = _move(client, headers, w["acct_issuance"], w["acct_v2"], 31)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "idempotency_mismatch"
    assert _balance(w["acct_v2"]) == 30


def test_a_transfer_without_an_idempotency_key_is_refused(client, api_headers, w):
    response = _move(client, api_headers(w["committee"]), w["acct_issuance"], w["acct_v2"], 5)
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"
    assert _balance(w["acct_v2"]) == 0


def test_a_volunteer_gives_points_to_the_household_they_are_paired_with(client, api_headers, w):
    headers = api_headers(w["vol_user"], idempotency_key="give-1")
    response = _move(client, headers, w["acct_v"], w["acct_paired"], 40)
    assert response.status_code == 201, response.json
    assert response.json["kind"] == "give" and response.json["balance_after"] == 60
    assert "王秀英" not in response.get_data(as_text=True)
    assert (_balance(w["acct_v"]), _balance(w["acct_paired"])) == (60, 40)


def test_giving_more_than_the_balance_is_insufficient_points(client, api_headers, w):
    headers = api_headers(w["vol_user"], idempotency_key="give-too-much")
    response = _move(client, headers, w["acct_v"], w["acct_paired"], 101)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "insufficient_points" and error["details"]["missing"] == 1
    assert (_balance(w["acct_v"]), _balance(w["acct_paired"])) == (100, 0)
    # Refused, so nothing was stored under the key: the same key may try again.
    response = _move(client, headers, w["acct_v"], w["acct_paired"], 100)
    assert response.status_code == 201


def test_a_volunteer_may_not_give_to_a_household_no_longer_paired(client, api_headers, w):
    headers = api_headers(w["vol_user"], idempotency_key="give-unpaired")
    response = _move(client, headers, w["acct_v"], w["acct_unpaired"], 10)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert _balance(w["acct_v"]) == 100


def test_a_volunteer_may_not_use_another_volunteers_account(client, api_headers, w):
    headers = api_headers(w["vol2_user"], idempotency_key="give-not-mine")
    response = _move(client, headers, w["acct_v"], w["acct_paired"], 10)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_household_of_another_community_is_not_found(client, api_headers, w):
    headers = api_headers(w["vol_user"], idempotency_key="give-far")
    response = _move(client, headers, w["acct_v"], w["acct_other"], 10)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    headers = api_headers(w["committee"], idempotency_key="issue-far")
    response = _move(client, headers, w["acct_issuance"], w["acct_other"], 10)
    assert response.status_code == 404
    headers = api_headers(w["committee"], idempotency_key="issue-from-far")
    response = _move(client, headers, w["acct_issuance_b"], w["acct_v"], 10)
    assert response.status_code == 404


def test_someone_who_manages_people_gives_from_an_organisation(client, api_headers, w):
    headers = api_headers(w["organiser"], idempotency_key="org-give-1")
    response = _move(client, headers, w["acct_org"], w["acct_paired"], 20)
    assert response.status_code == 201, response.json
    assert response.json["kind"] == "give" and _balance(w["acct_org"]) == 30
    headers = api_headers(w["committee_b"], idempotency_key="org-give-2")
    assert _move(client, headers, w["acct_org"], w["acct_paired"], 5).status_code == 404


@pytest.mark.parametrize(
    ("who", "payer", "receiver"),
    [
        ("organiser", "acct_issuance", "acct_v"),  # sees accounts, may not issue
        ("committee", "acct_paired", "acct_v"),  # households spend only at the store
        ("committee", "acct_sink", "acct_v"),  # the store's account never pays out
        ("committee", "acct_v", "acct_paired"),  # not the committee's own points
        ("committee", "acct_issuance", "acct_sink"),  # points are issued to people
        ("street", "acct_issuance", "acct_other"),  # only within the community
    ],
)
def test_moves_outside_the_rules_are_forbidden(client, api_headers, w, who, payer, receiver):
    headers = api_headers(w[who], idempotency_key=f"{who}-{payer}-{receiver}")
    response = _move(client, headers, w[payer], w[receiver], 5)
    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "forbidden"
    assert _balance(w[receiver]) == (100 if receiver == "acct_v" else 0)


@pytest.mark.parametrize(
    "body",
    [
        {"from_account": 1, "to_account": 2, "amount": 0, "memo": "x"},
        {"from_account": 1, "to_account": 2, "amount": 100_001, "memo": "x"},
        {"from_account": 1, "to_account": 2, "amount": 1.5, "memo": "x"},
        {"from_account": 1, "to_account": 2, "amount": 5, "memo": ""},
        {"from_account": 1, "to_account": 2, "amount": 5},
        {"from_account": "1", "to_account": 2, "amount": 5, "memo": "x"},
        {"from_account": 1, "to_account": 2, "amount": 5, "memo": "x", "kind": "adjust"},
    ],
)
def test_a_bad_transfer_body_is_a_validation_error(client, api_headers, w, body):
    headers = api_headers(w["committee"], idempotency_key="bad-body")
    response = client.post("/api/v1/transfers", json=body, headers=headers)
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"
