"""Volunteers get a way in without an administrator: an account on registration, a
one-time set-password link (signed, hashed, expiring, single use), and a new link from
an organiser of their community when they forget the password."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from points_app.accounts.links import find_password_link, issue_password_link, use_password_link
from points_app.accounts.models import LinkPurpose, PasswordLink, Role
from points_app.core.errors import DomainError
from points_app.extensions import db
from points_app.people import services, sign_in


def _register(actor, community, phone="13912340001", name="陈静"):
    volunteer = services.create_volunteer(
        actor, real_name=name, phone=phone, home_community=community
    )
    db.session.commit()
    return volunteer


def test_registering_a_volunteer_opens_an_account_named_by_the_phone(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    user = volunteer.user
    assert user is not None and user.username == "13912340001" and user.phone == "13912340001"
    assert [(ra.role, ra.area_id) for ra in user.roles] == [
        (Role.volunteer, tree["community_a"].id)
    ]
    assert not user.check_password("")  # no password until the person sets one


def test_a_link_sets_the_password_once_and_only_its_hash_is_stored(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    link, token = sign_in.send_sign_in_link(organiser, volunteer)
    db.session.commit()
    assert link.purpose is LinkPurpose.welcome
    secret = token.split("~")[0].split(".", 1)[1]
    assert secret not in link.secret_hash and len(link.secret_hash) == 64
    user = use_password_link(token, "new-password-1")
    db.session.commit()
    assert user.check_password("new-password-1")
    with pytest.raises(DomainError) as again:
        use_password_link(token, "other-password-2")
    assert again.value.code == "link_not_valid"


def test_a_forged_altered_or_expired_link_is_refused(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    link, token = sign_in.send_sign_in_link(organiser, volunteer)
    db.session.commit()
    body, _sep, signature = token.partition("~")
    for bad in ("", "nonsense", f"{body}x~{signature}", f"{link.id}.guess~{signature}"):
        with pytest.raises(DomainError) as refused:
            find_password_link(bad)
        assert refused.value.code == "link_not_valid"
    later = link.expires_at + dt.timedelta(seconds=1)
    with pytest.raises(DomainError):
        find_password_link(token, now=later)
    assert find_password_link(token).id == link.id


def test_a_new_link_ends_the_older_one(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    _old, old_token = sign_in.send_sign_in_link(organiser, volunteer)
    _new, new_token = sign_in.send_sign_in_link(organiser, volunteer)
    db.session.commit()
    with pytest.raises(DomainError):
        find_password_link(old_token)
    assert find_password_link(new_token)


def test_a_weak_password_leaves_the_link_usable(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    _link, token = sign_in.send_sign_in_link(organiser, volunteer)
    db.session.commit()
    with pytest.raises(DomainError) as weak:
        use_password_link(token, "short")
    assert weak.value.code == "weak_password"
    db.session.rollback()
    assert find_password_link(token)


def test_an_organiser_of_another_community_cannot_make_a_link(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    other = make_user(Role.organiser, tree["community_b"])
    volunteer = _register(organiser, tree["community_a"])
    assert not sign_in.may_send_link(other, volunteer)
    with pytest.raises(DomainError) as refused:
        sign_in.send_sign_in_link(other, volunteer)
    assert refused.value.code == "forbidden"


def test_an_organiser_cannot_reset_an_account_holding_other_roles(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    colleague = make_user(Role.committee, tree["community_a"], phone="13912340009")
    volunteer = _register(organiser, tree["community_a"], phone="13912340009")
    assert volunteer.user_id == colleague.id  # the same person: one account, linked
    assert not sign_in.may_send_link(organiser, volunteer)
    with pytest.raises(DomainError) as refused:
        sign_in.send_sign_in_link(organiser, volunteer)
    assert refused.value.code == "not_a_volunteer_account"


def test_a_forgotten_password_gets_a_reset_link(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    _link, token = sign_in.send_sign_in_link(organiser, volunteer)
    use_password_link(token, "first-password-1")
    db.session.commit()
    link, token = sign_in.send_sign_in_link(organiser, volunteer)
    db.session.commit()
    assert link.purpose is LinkPurpose.reset
    use_password_link(token, "second-password-2")
    db.session.commit()
    assert volunteer.user.check_password("second-password-2")


def test_registration_page_shows_the_link_and_its_qr_code(tree, make_user, login_as):
    organiser = make_user(Role.organiser, tree["community_a"])
    client = login_as(organiser)
    response = client.post(
        "/volunteers/new",
        data={"real_name": "陈静", "phone": "13912340001",
              "home_community_id": tree["community_a"].id},
        follow_redirects=True,
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in page and "13912340001" in page
    url = re.search(r'id="sign-in-url">([^<]+)<', page).group(1)
    assert "/account/set-password/" in url
    assert db.session.scalar(select(PasswordLink.id)) is not None
    # The volunteer opens it on their phone (another browser), sets a password, is in.
    phone = client.application.test_client()
    path = url.split("localhost", 1)[1]
    assert phone.get(path).status_code == 200
    response = phone.post(path, data={"new": "my-password-1", "confirm": "my-password-1"})
    assert response.status_code == 302
    assert phone.get("/me/service").status_code == 200
    assert phone.get(path).status_code == 410


def test_login_page_says_what_to_do_without_a_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert "sign-in link" in page


def test_issue_password_link_records_who_made_it(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    link, _token = issue_password_link(volunteer.user, purpose=LinkPurpose.reset, actor=organiser)
    assert link.created_by_id == organiser.id


def test_a_new_phone_becomes_the_username_too(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    volunteer = _register(organiser, tree["community_a"])
    services.update_volunteer(
        organiser, volunteer, real_name="陈静", phone="13912349999",
        home_community=tree["community_a"], is_party_member=False, work_unit=None,
    )  # fmt: skip
    db.session.commit()
    assert (volunteer.user.username, volunteer.user.phone) == ("13912349999", "13912349999")


def test_a_user_without_any_role_is_not_reset_by_an_organiser(tree, make_user):
    organiser = make_user(Role.organiser, tree["community_a"])
    make_user(phone="13912340007")  # made by an admin, no role yet
    volunteer = _register(organiser, tree["community_a"], phone="13912340007")
    assert not sign_in.may_send_link(organiser, volunteer)
