"""Organisers see volunteers' phones masked; the full number is an audited reveal."""

from __future__ import annotations

from sqlalchemy import select

from points_app.accounts.models import Role
from points_app.core.audit import AuditEntry
from points_app.extensions import db
from points_app.people.models import Volunteer

PHONE = "13905748899"


def _volunteer(tree) -> Volunteer:
    volunteer = Volunteer(real_name="陈静", phone=PHONE, home_community=tree["community_a"])
    db.session.add(volunteer)
    db.session.commit()
    return volunteer


def _reveals() -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == "volunteer.reveal_phone")
    return list(db.session.scalars(stmt))


def test_list_and_detail_pages_show_the_phone_masked(client, tree, make_user, login_as):
    volunteer = _volunteer(tree)
    login_as(make_user(Role.organiser, tree["community_a"]))

    for url in ("/volunteers", f"/volunteers/{volunteer.id}"):
        page = client.get(url).get_data(as_text=True)
        assert PHONE not in page and "139****8899" in page, url
    assert _reveals() == []


def test_revealing_the_phone_is_audited(client, tree, make_user, login_as):
    volunteer = _volunteer(tree)
    organiser = make_user(Role.organiser, tree["community_a"])
    login_as(organiser)

    response = client.post(f"/volunteers/{volunteer.id}/phone")

    assert response.status_code == 200 and PHONE in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    (entry,) = _reveals()
    assert (entry.actor_id, entry.object_id, entry.detail) == (
        organiser.id, volunteer.id, {"purpose": "view"}
    )  # fmt: skip


def test_the_edit_form_shows_the_phone_and_is_audited_too(client, tree, make_user, login_as):
    volunteer = _volunteer(tree)
    login_as(make_user(Role.organiser, tree["community_a"]))

    page = client.get(f"/volunteers/{volunteer.id}/edit").get_data(as_text=True)

    assert PHONE in page
    assert [e.detail for e in _reveals()] == [{"purpose": "edit"}]


def test_a_grid_worker_cannot_reveal(client, tree, make_user, login_as):
    volunteer = _volunteer(tree)
    login_as(make_user(Role.grid_worker, tree["grid_a"]))
    assert client.post(f"/volunteers/{volunteer.id}/phone").status_code == 404
    assert _reveals() == []


def test_an_organiser_elsewhere_cannot_reveal(client, tree, make_user, login_as):
    volunteer = _volunteer(tree)
    login_as(make_user(Role.organiser, tree["community_b"]))
    assert client.post(f"/volunteers/{volunteer.id}/phone").status_code == 404
    assert _reveals() == []
