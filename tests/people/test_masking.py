"""Households' personal data: masked on every page, in full only in the audited private view."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry
from points_app.extensions import db


def _secrets(people):
    """The full personal data of both households."""
    values = []
    for key in ("household_a", "household_b"):
        h = people[key]
        values += [h.id_number, h.phone, h.head_name]
    return values


def _pages(people):
    """Every HTML page that shows a household or a pairing, for a user of community A."""
    h, p = people["household_a"], people["pairing_a"]
    return [
        "/",
        "/households",
        "/households?q=王",
        "/households?q=S-a",
        f"/households/{h.id}",
        "/pairings",
        "/pairings?status=all",
        f"/pairings/{p.id}",
        "/pairings/new",
        f"/pairings/new?household={h.id}",
        f"/pairings/new?volunteer={people['volunteer_a'].id}",
        f"/volunteers/{people['volunteer_a'].id}",
        f"/organisations/{people['organisation_a'].id}",
        "/volunteers",
        "/organisations",
    ]


@pytest.mark.parametrize("role", [Role.organiser, Role.clerk, Role.committee, Role.grid_worker])
def test_pages_never_show_full_id_number_phone_or_name(
    client, people, tree, make_user, login_as, role, caplog
):
    caplog.set_level(logging.DEBUG)
    login_as(make_user(role, tree["community_a"]))
    for url in _pages(people):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        page = response.get_data(as_text=True)
        for secret in _secrets(people):
            assert secret not in page, (url, role)
    for secret in _secrets(people):
        assert secret not in caplog.text


def test_masked_values_have_the_agreed_shape(client, people, admin, login_as):
    login_as(admin)
    household = people["household_a"]
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert household.id_number[:4] + "*" * 10 + household.id_number[-4:] in page
    assert household.phone[:3] + "****" + household.phone[-4:] in page
    assert "王**" in page


def test_private_view_shows_full_details_and_is_audited(client, people, tree, make_user, login_as):
    worker = make_user(Role.grid_worker, tree["grid_a"])
    login_as(worker)
    household = people["household_a"]
    response = client.get(f"/households/{household.id}/private")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert household.id_number in page and household.phone in page
    assert household.head_name in page and household.address in page
    assert response.headers["Cache-Control"] == "no-store"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "household.view_private")
    ).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        worker.id, "household", household.id,
    )  # fmt: skip
    stored = repr(entry.detail)
    for secret in _secrets(people) + [household.address]:
        assert secret not in stored


def test_each_private_view_is_recorded(client, people, admin, login_as):
    login_as(admin)
    url = f"/households/{people['household_a'].id}/private"
    client.get(url)
    client.get(url)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "household.view_private")
    ).all()
    assert len(entries) == 2


@pytest.mark.parametrize("role", [Role.organiser, Role.clerk, Role.volunteer])
def test_private_view_is_not_found_for_roles_without_private_access(
    client, people, tree, make_user, login_as, role
):
    login_as(make_user(role, tree["community_a"]))
    response = client.get(f"/households/{people['household_a'].id}/private")
    assert response.status_code == 404
    for secret in _secrets(people):
        assert secret not in response.get_data(as_text=True)
    assert (
        db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("household.v%"))).all()
        == []
    )


def test_show_private_link_only_for_roles_with_private_access(
    client, people, tree, make_user, login_as
):
    login_as(make_user(Role.organiser, tree["community_a"]))
    page = client.get(f"/households/{people['household_a'].id}").get_data(as_text=True)
    assert "/private" not in page


def test_no_link_or_form_carries_personal_data_in_a_url(client, people, admin, login_as):
    login_as(admin)
    h = people["household_a"]
    urls = _pages(people) + [f"/households/{h.id}/private", f"/households/{h.id}/edit"]
    for url in urls:
        page = client.get(url).get_data(as_text=True)
        # tel: links dial the phone and never reach a server; every other target might.
        targets = re.findall(r'(?:href|action)="([^"]*)"', page)
        for target in (t for t in targets if not t.startswith("tel:")):
            for secret in _secrets(people):
                assert secret not in target, (url, target)
        # Every form that could carry typed personal data is sent by POST.
        for form in re.findall(r"<form[^>]*>.*?</form>", page, re.S):
            if 'name="id_number"' in form or 'name="phone"' in form:
                assert 'method="post"' in form


def test_phone_typed_in_the_search_box_is_not_searched_nor_shown(client, people, admin, login_as):
    login_as(admin)
    household = people["household_a"]
    for url in (f"/households?q={household.phone}", f"/volunteers?q={household.phone}&page=2"):
        response = client.get(url)
        assert response.status_code == 302
        assert household.phone not in response.headers["Location"]
        assert "page=" not in response.headers["Location"]
    response = client.get(f"/households?q={household.id_number}&community=5")
    assert household.id_number not in response.headers["Location"]
    assert "community=5" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "never appear in web addresses" in page
    assert "/households/find" in page


def test_lookup_by_id_number_is_a_post_and_is_audited_without_the_number(
    client, people, admin, login_as
):
    login_as(admin)
    household = people["household_a"]
    response = client.post("/households/find", data={"number": household.id_number.lower()})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert household.public_no in page
    assert household.id_number not in page and household.id_number.lower() not in page
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "household.lookup")
    ).one()
    assert entry.detail == {"matches": 1}
    page = client.post("/households/find", data={"number": household.phone}).get_data(as_text=True)
    assert household.public_no in page and household.phone not in page


def test_lookup_finds_nothing_outside_ones_areas(client, people, tree, make_user, login_as):
    login_as(make_user(Role.committee, tree["community_b"]))
    page = client.post(
        "/households/find", data={"number": people["household_a"].id_number}
    ).get_data(as_text=True)
    assert people["household_a"].public_no not in page
    assert "No household you may see" in page


def test_lookup_is_only_for_roles_with_private_access(client, people, tree, make_user, login_as):
    login_as(make_user(Role.clerk, tree["community_a"]))
    assert client.get("/households/find").status_code == 403
    response = client.post("/households/find", data={"number": people["household_a"].phone})
    assert response.status_code == 403
