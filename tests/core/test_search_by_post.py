"""List searches are POSTed and held in the session: typed text never lands in an address."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from points_app.accounts.models import Role
from points_app.extensions import db
from points_app.issues.services import raise_issue
from points_app.people.models import Household, HouseholdCategory

PHONE_FORMS = ("13905741234", "139-0574-1234", "139 0574 1234", "+8613905741234")


@pytest.fixture
def committee(tree, make_user, login_as):
    user = make_user(Role.committee, tree["community_a"])
    for n, name in enumerate(("王秀英", "李建国"), start=1):
        db.session.add(
            Household(
                public_no=f"S-a-H{n:03d}", head_name=name, address=f"东谷路{n}号",
                community=tree["community_a"], category=HouseholdCategory.dibao,
                phone="13905741234" if n == 1 else None,
            )
        )  # fmt: skip
    for title in ("路灯坏了", "垃圾没人清运"):
        raise_issue(actor=user, area=tree["community_a"], title=title, category="environment")
    db.session.commit()
    login_as(user)
    return user


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize(
    ("url", "text", "found", "not_found"),
    [
        ("/households", "东谷路2号", "S-a-H002", "S-a-H001"),
        ("/issues/", "路灯", "路灯坏了", "垃圾没人清运"),
    ],
)
def test_a_posted_search_redirects_to_the_list_without_the_text(
    client, committee, url, text, found, not_found
):
    response = client.post(url, data={"q": text})

    assert response.status_code == 302
    location = response.headers["Location"]
    assert text not in location and "q" not in _query(location)
    page = client.get(location).get_data(as_text=True)
    assert found in page and not_found not in page
    assert f'value="{text}"' in page  # the box still shows it


def test_a_posted_card_search_is_held_too(client, tree, make_user, login_as):
    clerk_admin = make_user(Role.committee, tree["community_a"])
    for n in (1, 2):
        db.session.add(
            Household(
                public_no=f"S-a-H00{n}", head_name="王秀英", address="东谷路",
                community=tree["community_a"], category=HouseholdCategory.dibao,
            )
        )  # fmt: skip
    db.session.commit()
    login_as(clerk_admin)

    response = client.post("/store/cards", data={"q": "H002"})

    location = response.headers["Location"]
    assert "H002" not in location
    page = client.get(location).get_data(as_text=True)
    assert "S-a-H002" in page and "S-a-H001" not in page


@pytest.mark.parametrize("phone", PHONE_FORMS)
def test_a_phone_posted_in_a_list_search_is_neither_held_nor_searched(client, committee, phone):
    response = client.post("/households", data={"q": phone})

    location = response.headers["Location"]
    assert _query(location).get("number_refused") == ["1"]
    with client.session_transaction() as session:
        assert phone not in str(dict(session))
    page = client.get(location).get_data(as_text=True)
    assert "are not searched here" in page


@pytest.mark.parametrize("url", ["/households", "/issues/", "/store/cards", "/volunteers"])
def test_a_phone_in_an_old_get_link_is_dropped_from_the_address(client, committee, url):
    response = client.get(url, query_string={"q": "139 0574 1234", "page": "2"})

    assert response.status_code == 302
    location = response.headers["Location"]
    assert "1234" not in location and "number_refused=1" in location


def test_the_pager_carries_the_held_search_not_its_text(client, app, committee):
    app.config["PAGE_SIZE"] = 1
    for n in range(3, 6):
        db.session.add(
            Household(
                public_no=f"S-a-H{n:03d}", head_name="赵某", address="幸福路",
                community=committee.roles[0].area, category=HouseholdCategory.other,
            )
        )  # fmt: skip
    db.session.commit()
    location = client.post("/households", data={"q": "幸福路"}).headers["Location"]

    page = client.get(location).get_data(as_text=True)

    search_id = _query(location)["s"][0]
    assert f"s={search_id}" in page and "q=" not in page.split("<main", 1)[-1]
    second = client.get(f"/households?s={search_id}&page=2").get_data(as_text=True)
    assert "S-a-H004" in second and "S-a-H001" not in second


def test_search_forms_are_posted(client, committee):
    for url in ("/households", "/issues/", "/volunteers", "/store/cards", "/pairings"):
        page = client.get(url).get_data(as_text=True)
        forms = re.findall(r"<form([^>]*)>(.*?)</form>", page, flags=re.S)
        search_forms = [attrs for attrs, body in forms if 'name="q"' in body]
        assert search_forms and all('method="post"' in a for a in search_forms), url
