"""Sign-in, sign-out and password change."""

from __future__ import annotations

from points_app.accounts.models import Role, User
from points_app.extensions import db
from tests.conftest import PASSWORD


def test_login_with_username_reaches_home(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1")
    response = client.post("/login", data={"login": "clerk1", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Store clerk" in page


def test_login_with_phone_works(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1", phone="13812345678")
    response = client.post("/login", data={"login": "13812345678", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_is_refused_and_keeps_login(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1")
    response = client.post("/login", data={"login": "clerk1", "password": "nope-nope"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "wrong" in page
    assert 'value="clerk1"' in page


def test_disabled_user_cannot_sign_in(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1", is_enabled=False)
    response = client.post("/login", data={"login": "clerk1", "password": PASSWORD})
    assert response.status_code == 200
    with client.session_transaction() as session:
        assert "_user_id" not in session
    # Still anonymous: the next page sends them back to the sign-in form.
    after = client.get("/")
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_pages_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_next_parameter_cannot_leave_the_site(client, tree, make_user):
    make_user(Role.clerk, tree["community_a"], username="clerk1")
    response = client.post(
        "/login?next=//evil.example/x", data={"login": "clerk1", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_logout_signs_out(client, tree, make_user, login_as):
    user = make_user(Role.clerk, tree["community_a"])
    login_as(user)
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_change_password(client, tree, make_user, login_as):
    user = make_user(Role.clerk, tree["community_a"])
    login_as(user)
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("brand-new-pass")


def test_change_password_with_wrong_current_is_refused(client, tree, make_user, login_as):
    user = make_user(Role.clerk, tree["community_a"])
    login_as(user)
    response = client.post(
        "/account/password",
        data={"current": "not-it-at-all", "new": "brand-new-pass", "confirm": "brand-new-pass"},
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_password_is_hashed_with_scrypt(app, make_user):
    user = make_user()
    assert user.password_hash.startswith("scrypt:")
