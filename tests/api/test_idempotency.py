"""@idempotent: a retry with the same key gives the first response and no second effect."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from points_app.accounts.models import Role
from points_app.api.models import IdempotencyRecord
from points_app.core.db import utcnow
from points_app.extensions import db
from tests.api.conftest import effects

URL = "/api/v1/test/effects"


@pytest.fixture
def user(tree, make_user, test_routes):
    return make_user(Role.clerk, tree["community_a"])


def _records() -> int:
    return db.session.scalar(select(func.count()).select_from(IdempotencyRecord))


def test_same_key_same_body_returns_the_first_response(client, user, api_headers):
    first = client.post(URL, json={"amount": 5}, headers=api_headers(user, "key-1"))
    assert first.status_code == 201
    again = client.post(URL, json={"amount": 5}, headers=api_headers(user, "key-1"))
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert effects() == 1
    assert _records() == 1


def test_key_order_and_spacing_of_the_body_do_not_matter(client, user, api_headers):
    headers = {**api_headers(user, "key-1"), "Content-Type": "application/json"}
    first = client.post(URL, data='{"amount": 5, "memo": "x"}', headers=headers)
    again = client.post(URL, data='{"memo":"x","amount":5}', headers=headers)
    assert again.get_json() == first.get_json()
    assert effects() == 1


def test_same_key_different_body_is_a_mismatch(client, user, api_headers):
    client.post(URL, json={"amount": 5}, headers=api_headers(user, "key-1"))
    response = client.post(URL, json={"amount": 6}, headers=api_headers(user, "key-1"))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_mismatch"
    response = client.post(URL + "?x=1", json={"amount": 5}, headers=api_headers(user, "key-1"))
    assert response.get_json()["error"]["code"] == "idempotency_mismatch"
    assert effects() == 1


def test_keys_belong_to_their_user(client, tree, make_user, user, api_headers):
    other = make_user(Role.clerk, tree["community_b"])
    a = client.post(URL, json={"amount": 5}, headers=api_headers(user, "key-1"))
    b = client.post(URL, json={"amount": 5}, headers=api_headers(other, "key-1"))
    assert a.get_json()["effect_id"] != b.get_json()["effect_id"]
    assert effects() == 2


@pytest.mark.parametrize("key", [None, "", "k" * 256])
def test_key_must_be_1_to_255_characters(client, user, api_headers, key):
    headers = api_headers(user)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = client.post(URL, json={"amount": 5}, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["field"] == "Idempotency-Key"
    assert effects() == 0


def test_longest_key_is_accepted(client, user, api_headers):
    response = client.post(URL, json={"amount": 5}, headers=api_headers(user, "k" * 255))
    assert response.status_code == 201


def test_refused_request_keeps_nothing_and_may_be_retried(client, user, api_headers):
    headers = api_headers(user, "key-1")
    response = client.post(URL, json={"amount": 5, "memo": "refuse"}, headers=headers)
    assert response.status_code == 409
    assert _records() == 0
    assert effects() == 0
    response = client.post(URL, json={"amount": 5}, headers=headers)
    assert response.status_code == 201


def test_invalid_body_keeps_nothing(client, user, api_headers):
    headers = api_headers(user, "key-1")
    assert client.post(URL, json={"amount": 0}, headers=headers).status_code == 422
    assert _records() == 0
    assert client.post(URL, json={"amount": 1}, headers=headers).status_code == 201


def test_handler_that_commits_itself_is_refused(client, user, api_headers):
    with pytest.raises(RuntimeError, match="must not commit"):
        client.post(URL, json={"amount": 5, "memo": "commit"}, headers=api_headers(user, "k"))
    db.session.rollback()
    assert effects() == 0
    assert _records() == 0


def test_purge_keeps_recent_records(runner, client, user, api_headers):
    client.post(URL, json={"amount": 5}, headers=api_headers(user, "old"))
    client.post(URL, json={"amount": 5}, headers=api_headers(user, "new"))
    old = db.session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.key == "old")).one()
    old.created_at = utcnow() - dt.timedelta(days=31)
    db.session.commit()

    result = runner.invoke(args=["api", "purge-idempotency"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 idempotency records" in result.output
    db.session.expire_all()
    assert db.session.scalars(select(IdempotencyRecord.key)).all() == ["new"]

    result = runner.invoke(args=["api", "purge-idempotency", "--days", "7"])
    assert result.exit_code != 0  # keys are kept at least 30 days


def _post_together(app, n, make_request):
    """Start n requests at the same moment, each in its own thread and app context."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            results[i] = make_request(client, i)
        except BaseException as error:  # reported by the assertion below
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.slow
def test_simultaneous_requests_with_one_key_make_one_effect(app, user, api_headers):
    headers = api_headers(user, "same-key")
    db.session.remove()  # threads use their own sessions; keep no lock in this one

    responses = _post_together(
        app,
        10,
        lambda client, i: client.post(URL + "?sleep=0.05", json={"amount": 7}, headers=headers),
    )
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert statuses == [201] * 10
    assert len({r.get_data() for r in responses}) == 1
    assert sum(1 for r in responses if "Idempotent-Replayed" not in r.headers) == 1
    assert effects() == 1
    assert _records() == 1


@pytest.mark.slow
def test_simultaneous_requests_with_different_keys_all_run(app, user, api_headers):
    headers = api_headers(user)
    db.session.remove()

    responses = _post_together(
        app,
        10,
        lambda client, i: client.post(
            URL, json={"amount": 7}, headers={**headers, "Idempotency-Key": f"key-{i}"}
        ),
    )
    assert [getattr(r, "status_code", r) for r in responses] == [201] * 10
    assert effects() == 10


def test_a_write_notes_the_use_of_its_token_with_its_effect(client, user, api_headers):
    from points_app.api.models import ApiToken

    headers = api_headers(user, "key-1")
    db.session.rollback()  # the test shares the request's session; end its transaction
    assert client.post(URL, json={"amount": 5}, headers=headers).status_code == 201
    db.session.rollback()
    used = db.session.scalars(select(ApiToken)).one().last_used_at
    assert used is not None and utcnow() - used < dt.timedelta(minutes=1)
