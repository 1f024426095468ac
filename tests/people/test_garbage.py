"""Garbage in: ids that are not numbers, huge strings, missing fields. Never a 500."""

from __future__ import annotations

import pytest

from points_app.accounts.models import Role

HUGE = "爱" * 5000 + "x" * 5000

GET_URLS = [
    "/volunteers/abc", "/volunteers/-1", "/volunteers/0", "/volunteers/99999999999999999999",
    "/volunteers/2147483648", "/organisations/1.5", "/households/%00", "/households/1e3",
    "/households/99999999999999999999/private", "/pairings/99999999999999999999",
    "/households?page=abc", "/households?page=-5", "/households?page=99999999999999999999",
    "/households?community=abc", "/households?community=99999999999999999999",
    f"/households?q={HUGE}", f"/volunteers?q={HUGE}", f"/organisations?q={HUGE}",
    f"/pairings?q={HUGE}&status={HUGE}", "/pairings?status=nonsense",
    "/households?q=%25%25%25", "/households?q=_", "/households?q=\\",
    "/pairings/new?household=abc", "/pairings/new?household=99999999999999999999",
    "/pairings/new?volunteer=-3", "/pairings/new?organisation=0x10",
    "/areas/99999999999999999999/edit", "/users/99999999999999999999",
]  # fmt: skip


@pytest.fixture
def signed_in(client, people, admin, login_as):
    login_as(admin)
    return client


@pytest.mark.parametrize("url", GET_URLS)
def test_garbage_urls_never_fail(signed_in, url):
    assert signed_in.get(url).status_code in (200, 404)


def _post_urls(people):
    h, o, p = people["household_a"], people["organisation_a"], people["pairing_a"]
    return [
        "/volunteers/new", f"/volunteers/{people['volunteer_a'].id}/edit",
        "/organisations/new", f"/organisations/{o.id}/edit", f"/organisations/{o.id}/members",
        "/households/new", f"/households/{h.id}/edit",
        f"/pairings/new?household={h.id}", f"/pairings/new?volunteer={people['volunteer_a'].id}",
        f"/pairings/{p.id}/end",
    ]  # fmt: skip


GARBAGE_FORMS = [
    {},
    {"real_name": HUGE, "phone": HUGE, "home_community_id": HUGE, "work_unit": HUGE},
    {"name": HUGE, "kind": HUGE, "area_id": "-1", "contact_phone": HUGE},
    {"volunteer_id": "abc", "is_leader": HUGE},
    {
        "head_name": HUGE, "members_count": "99999999999999999999999", "area_id": "1e9",
        "address": HUGE, "category": "<script>", "id_number": HUGE, "phone": "١٣٨١٢٣٤٥٦٧٨",
    },
    {"members_count": "-1", "id_number": "11010519491231002X' OR 1=1 --"},
    {"household_id": "abc", "partner": "v:abc", "start_date": "2026-13-45", "end_date": HUGE},
    {"household_id": "1", "partner": "x:1", "start_date": "99999-01-01"},
    {"partner": "v:99999999999999999999", "start_date": "2026-01-01"},
    {"end_date": "yesterday"},
    {"end_date": "0000-00-00"},
]  # fmt: skip


@pytest.mark.parametrize("data", GARBAGE_FORMS, ids=[str(i) for i in range(len(GARBAGE_FORMS))])
def test_garbage_forms_are_refused_without_failing(signed_in, people, data):
    for url in _post_urls(people):
        response = signed_in.post(url, data=data)
        assert response.status_code in (200, 404), (url, response.status_code)
        if response.status_code == 200:
            assert 'class="error"' in response.get_data(as_text=True), url


def test_wrong_methods_are_refused_without_failing(signed_in, people):
    assert signed_in.get(f"/pairings/{people['pairing_a'].id}/end").status_code == 405
    assert signed_in.put("/households").status_code == 405  # POST is the search form


def test_signed_out_visitor_is_sent_to_sign_in(client, people):
    for url in ("/households", f"/households/{people['household_a'].id}/private", "/pairings"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_user_without_role_gets_403_on_lists(client, make_user, login_as, tree):
    login_as(make_user())
    for url in ("/volunteers", "/organisations", "/households", "/pairings", "/pairings/new"):
        assert client.get(url).status_code == 403, url


def test_role_at_a_grid_sees_an_empty_volunteer_list_not_an_error(
    client, people, tree, make_user, login_as
):
    login_as(make_user(Role.grid_worker, tree["micro_b"]))
    page = client.get("/volunteers")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # Volunteers live in a community, above the grid: none is listed, none leaks.
    assert '<table class="list">' not in text
    assert "志愿者A" not in text and "志愿者B" not in text
    assert "No volunteers registered yet." in text
